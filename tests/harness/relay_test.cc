// The relay of an answer that is not an event stream (relay.cc via
// McpHandler::RelayThrough): what crosses the gateway in each direction,
// and the lease the answer holds.

#include <ostream>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "policies/target.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

constexpr const char* kInstanceToken = "instance-bearer-token";
constexpr const char* kApiKey = "gateway-api-key";

TEST(Relay, JsonAnswerPassesThroughWithTheClientsCredentialsReplaced) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), kInstanceToken});
  HarnessOptions options;
  options.dsn_api_key = kApiKey;
  GatewayUnderTest gateway(pool, options);
  Reply answer = Reply::Json(RpcResult(7, {{"rows", 3}}));
  answer.headers.emplace_back("X-Powered-By", "fake-instance");
  instance.Script("tools/call", answer);

  RawClient client(gateway.mcp_port());
  const std::string body = RpcRequest(7, "tools/call", {{"name", "q"}});
  const auto response = client.Exchange(PostRequest(
      gateway.mcp_port(), "/mcp", body,
      DsnHeaders().Add("Authorization", std::string("Bearer ") + kApiKey)));

  ASSERT_EQ(response.status, 200u);
  EXPECT_TRUE(response.complete);
  EXPECT_EQ(response.Json(), RpcResult(7, {{"rows", 3}}));
  // What describes the instance stays behind.
  EXPECT_EQ(response.Header("x-powered-by"), "");

  const auto calls = instance.requests("tools/call");
  ASSERT_EQ(calls.size(), 1u);
  // The client's credentials never reach the instance; its own token does.
  EXPECT_FALSE(calls[0].Has("x-dbhub-dsn"));
  EXPECT_EQ(calls[0].Header("authorization"),
            std::string("Bearer ") + kInstanceToken);
  EXPECT_EQ(nlohmann::json::parse(calls[0].body), nlohmann::json::parse(body));

  // The lease goes back once the answer is through.
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  EXPECT_EQ(pool.counts().acquired.load(), 1);
  EXPECT_EQ(pool.counts().errors.load(), 0);
}

TEST(Relay, KeepAliveConnectionCarriesASecondRequest) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), kInstanceToken});
  GatewayUnderTest gateway(pool);

  RawClient client(gateway.mcp_port());
  for (int id = 1; id <= 2; ++id) {
    const auto response = client.Exchange(PostRequest(
        gateway.mcp_port(), "/mcp", RpcRequest(id, "tools/list"),
        DsnHeaders()));
    ASSERT_EQ(response.status, 200u) << "request " << id;
    EXPECT_FALSE(response.closed);
    EXPECT_EQ(response.Json()["id"], id);
  }
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  EXPECT_EQ(pool.counts().acquired.load(), 2);
}

struct AcquireFailure {
  const char* name;  // the test's name: stable, unlike the status' bytes
  absl::Status status;
  unsigned http_status;
  int rpc_code;
};

// Named, not dumped as bytes (ctest would list the status' pointer).
void PrintTo(const AcquireFailure& failure, std::ostream* out) {
  *out << failure.name;
}

class RelayAcquireFailure : public testing::TestWithParam<AcquireFailure> {};

TEST_P(RelayAcquireFailure, IsAJsonRpcErrorAndNothingReachesTheInstance) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), kInstanceToken});
  GatewayUnderTest gateway(pool);
  pool.FailAcquires(GetParam().status);

  RawClient client(gateway.mcp_port());
  const auto response = client.Exchange(PostRequest(
      gateway.mcp_port(), "/mcp", RpcRequest(3, "tools/call"), DsnHeaders()));

  EXPECT_EQ(response.status, GetParam().http_status);
  const auto error = response.Json();
  EXPECT_EQ(error["id"], 3);
  EXPECT_EQ(error["error"]["code"], GetParam().rpc_code);
  EXPECT_TRUE(instance.requests().empty());
  EXPECT_EQ(pool.outstanding(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Failures, RelayAcquireFailure,
    testing::Values(
        AcquireFailure{"PoolFull", absl::ResourceExhaustedError("full"), 503,
                       policies::rpc_code::kNoCapacity},
        AcquireFailure{"StartFailed",
                       absl::UnavailableError("would not start"), 502,
                       policies::rpc_code::kBackendStartFailed}),
    [](const testing::TestParamInfo<AcquireFailure>& info) {
      return std::string(info.param.name);
    });

// A start that takes a while: the request waits for it, and gets through.
TEST(Relay, RequestWaitsForASlowStart) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), kInstanceToken});
  GatewayUnderTest gateway(pool);
  pool.HoldAcquires(true);

  RawClient client(gateway.mcp_port());
  ASSERT_TRUE(client.Send(PostRequest(gateway.mcp_port(), "/mcp",
                                      RpcRequest(4, "tools/list"),
                                      DsnHeaders())));
  ASSERT_TRUE(WaitFor([&] { return pool.held() == 1; }));
  EXPECT_TRUE(instance.requests().empty());
  pool.ReleaseHeld();
  const auto& response = client.Read();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.Json()["id"], 4);
}

}  // namespace
}  // namespace mcpgw::harness
