#include "test_support/expectations.h"

#include "test_support/mcp_client.h"

namespace mcpgw::it {
namespace {

constexpr std::size_t kContextChars = 120;

}  // namespace

::testing::AssertionResult IsJsonRpcErrorResponse(const HttpResponse& response,
                                                  long status, int code) {
  if (response.status != status) {
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << ", got " << response.Describe();
  }
  if (response.messages.size() != 1 || !response.messages[0].is_object()) {
    return ::testing::AssertionFailure()
           << "expected one JSON-RPC object in the body, got "
           << response.Describe();
  }
  const auto& message = response.messages[0];
  if (message.value("jsonrpc", "") != "2.0" || !message.contains("id")) {
    return ::testing::AssertionFailure()
           << "not a JSON-RPC 2.0 response (jsonrpc/id): "
           << response.Describe();
  }
  if (JsonRpcError(response) == nullptr) {
    return ::testing::AssertionFailure()
           << "no error object: " << response.Describe();
  }
  if (JsonRpcErrorCode(response) != code) {
    return ::testing::AssertionFailure()
           << "expected error code " << code << ", got "
           << JsonRpcErrorCode(response) << ": " << response.Describe();
  }
  if (JsonRpcErrorMessage(response).empty()) {
    return ::testing::AssertionFailure()
           << "empty error message: " << response.Describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult CarriesJsonRpcError(const HttpResponse& response) {
  if (response.status == 0) {
    return ::testing::AssertionFailure()
           << "no HTTP answer: " << response.Describe();
  }
  if (JsonRpcError(response) == nullptr) {
    return ::testing::AssertionFailure()
           << "no JSON-RPC error in the answer: " << response.Describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult DoesNotContain(const std::string& haystack,
                                          const std::string& needle) {
  const auto at = haystack.find(needle);
  if (at == std::string::npos) return ::testing::AssertionSuccess();
  const auto from = at > kContextChars ? at - kContextChars : 0;
  return ::testing::AssertionFailure()
         << "found '" << needle << "' at offset " << at << ": ..."
         << haystack.substr(from, needle.size() + 2 * kContextChars) << "...";
}

}  // namespace mcpgw::it
