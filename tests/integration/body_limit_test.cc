// A request body over --max-body-bytes is refused with 413 (whether its size
// is announced or it comes chunked) and the gateway keeps serving.

#include <string>

#include <gtest/gtest.h>

#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"

namespace mcpgw::it {
namespace {

constexpr std::size_t kLimit = 1024;
constexpr std::size_t kOversize = 4 * kLimit;

// A valid JSON-RPC request, made too large by a padding parameter.
std::string OversizedRequest() {
  return nlohmann::json{
      {"jsonrpc", "2.0"},
      {"id", 1},
      {"method", "tools/list"},
      {"params", {{"_meta", {{"padding", std::string(kOversize, 'x')}}}}}}
      .dump();
}

class BodyLimitTest : public GatewayTest,
                      public ::testing::WithParamInterface<bool> {};

TEST_P(BodyLimitTest, OversizedBodyIs413AndTheGatewayKeepsServing) {
  const bool chunked = GetParam();
  StartGateway({"--max-body-bytes=" + std::to_string(kLimit)});
  const std::string dsn = NewSqliteDsn("limit.db");
  auto client = Client(dsn);

  const auto refused = client.PostRaw(OversizedRequest(), "", chunked);

  EXPECT_TRUE(IsJsonRpcErrorResponse(refused, 413, -32600));
  // Same client (its connection may have been closed: curl reconnects)...
  const auto next = client.ListTools();
  EXPECT_EQ(next.status, 200) << next.Describe();
  EXPECT_FALSE(ToolNames(next).empty()) << next.Describe();
  // ...and a new one.
  auto fresh = Client(dsn);
  const auto other = fresh.ListTools();
  EXPECT_EQ(other.status, 200) << other.Describe();
  EXPECT_FALSE(ToolNames(other).empty()) << other.Describe();
}

INSTANTIATE_TEST_SUITE_P(Framing, BodyLimitTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Chunked" : "ContentLength";
                         });

}  // namespace
}  // namespace mcpgw::it
