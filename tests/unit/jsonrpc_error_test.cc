#include "gateway/mcp/jsonrpc_error.h"
#include "policies/target.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

namespace rpc_code = policies::rpc_code;

TEST(RequestIdOf, EchoesStringAndNumberIds) {
  EXPECT_EQ(RequestIdOf(R"({"jsonrpc":"2.0","id":7,"method":"x"})"), 7);
  EXPECT_EQ(RequestIdOf(R"({"jsonrpc":"2.0","id":"a-1","method":"x"})"), "a-1");
}

TEST(RequestIdOf, NullWhenThereIsNothingToEcho) {
  EXPECT_TRUE(RequestIdOf("").is_null());
  EXPECT_TRUE(RequestIdOf("{not json").is_null());
  EXPECT_TRUE(RequestIdOf(R"([{"id":1}])").is_null());
  EXPECT_TRUE(RequestIdOf(R"({"method":"notifications/initialized"})").is_null());
  EXPECT_TRUE(RequestIdOf(R"({"id":{"nested":1}})").is_null());
}

TEST(MakeErrorResponse, IsAJsonRpcErrorWithStatusAndHeaders) {
  const ErrorReply reply{http::status::service_unavailable, rpc_code::kNoCapacity, "busy",
                         {{"Retry-After", "1"}}};
  const auto response = MakeErrorResponse(reply, 3, 11, true);
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response["Retry-After"], "1");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["jsonrpc"], "2.0");
  EXPECT_EQ(body["id"], 3);
  EXPECT_EQ(body["error"]["code"], rpc_code::kNoCapacity);
  EXPECT_EQ(body["error"]["message"], "busy");
}

TEST(JsonRpcErrorBody, SurvivesInvalidUtf8InTheMessage) {
  const auto body = JsonRpcErrorBody(nullptr, -32600, "bad \xff byte");
  EXPECT_NO_THROW(nlohmann::json::parse(body));
}

}  // namespace
}  // namespace mcpgw::gateway
