#include "gateway/jsonrpc_body.h"

#include <nlohmann/json.hpp>

#include "policies/target.h"

namespace mcpgw::gateway {

std::optional<ErrorReply> CheckJsonRpcBody(std::string_view body) {
  // The SAX-free parse validates UTF-8 in strings as it goes.
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return ErrorReply{http::status::bad_request, kJsonRpcParseError,
                      "Parse error: the request body is not JSON (RFC 8259, UTF-8)",
                      {}};
  }
  bool message = json.is_object();
  if (json.is_array() && !json.empty()) {
    message = true;
    for (const auto& element : json) message = message && element.is_object();
  }
  if (!message) {
    return ErrorReply{http::status::bad_request,
                      policies::rpc_code::kInvalidRequest,
                      "Invalid Request: the body must be a JSON-RPC message "
                      "(an object) or a batch (a non-empty array of objects)",
                      {}};
  }
  return std::nullopt;
}

}  // namespace mcpgw::gateway
