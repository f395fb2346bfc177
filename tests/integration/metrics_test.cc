// GET /metrics parsed back and checked against what the test did.

#include <string>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/gateway_fixture.h"
#include "test_support/metrics_text.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using MetricsTest = GatewayTest;

constexpr std::chrono::seconds kWait{30};

TEST_F(MetricsTest, CountersFollowRequestsSpawnsRefusalsEvictionsAndDrains) {
  StartGateway({"--max-instances=1"});
  auto first = Client(NewSqliteDsn("a.db"));
  ASSERT_EQ(first.ExecuteSql(kPeopleQuery).status, 200);
  ASSERT_EQ(first.ExecuteSql(kPeopleQuery).status, 200);
  ASSERT_EQ(first.ListTools().status, 200);
  auto anonymous = Client(std::nullopt);
  ASSERT_EQ(anonymous.ListTools().status, 401);
  // A second database with room for one instance: the first is evicted.
  auto second = Client(NewSqliteDsn("b.db"));
  ASSERT_EQ(second.ListTools().status, 200);
  const auto instances = Instances();
  ASSERT_EQ(instances.instances.size(), 1u) << instances.response.body;
  ASSERT_EQ(Admin("POST", "/admin/instances/" + instances.instances[0].id +
                              "/drain")
                .status,
            202);
  ASSERT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, kWait));

  const auto scrape = Admin("GET", "/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.Describe();
  EXPECT_NE(scrape.Header("content-type").find("text/plain"), std::string::npos);
  const std::string& m = scrape.body;
  auto value = [&](const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) {
    return MetricValue(m, name, labels).value_or(-1);
  };
  EXPECT_EQ(value("mcp_gateway_requests_total",
                  {{"method", "tools/call"}, {"outcome", "ok"}}), 2) << m;
  EXPECT_EQ(value("mcp_gateway_requests_total",
                  {{"method", "tools/list"}, {"outcome", "ok"}}), 2);
  EXPECT_EQ(value("mcp_gateway_requests_total",
                  {{"method", "tools/list"}, {"outcome", "refused"}}), 1);
  EXPECT_EQ(value("mcp_gateway_refusals_total",
                  {{"code", std::to_string(rpc_code::kMissingCredentials)}, {"reason", "missing_credentials"}}), 1);
  EXPECT_EQ(value("mcp_gateway_request_duration_seconds_count",
                  {{"method", "tools/call"}}), 2);
  EXPECT_EQ(value("mcp_gateway_backend_duration_seconds_count",
                  {{"method", "tools/call"}}), 2);
  EXPECT_GT(value("mcp_gateway_bytes_total", {{"direction", "in"}}), 0);
  EXPECT_GT(value("mcp_gateway_bytes_total", {{"direction", "out"}}), 0);
  EXPECT_EQ(value("mcp_gateway_spawns_total", {{"kind", "cold"}}), 2);
  EXPECT_EQ(value("mcp_gateway_spawns_total", {{"kind", "warm"}}), 0);
  EXPECT_EQ(value("mcp_gateway_spawn_duration_seconds_count", {{"kind", "cold"}}), 2);
  EXPECT_EQ(value("mcp_gateway_spawn_failures_total"), 0);
  EXPECT_EQ(value("mcp_gateway_evictions_total"), 1);
  EXPECT_EQ(value("mcp_gateway_reaps_total", {{"reason", "drained"}}), 1);
  EXPECT_EQ(value("mcp_gateway_reaps_total", {{"reason", "idle"}}), 0);
  EXPECT_EQ(value("mcp_gateway_instances", {{"state", "ready"}}), 0);
  EXPECT_EQ(value("mcp_gateway_max_instances"), 1);
  EXPECT_EQ(value("mcp_gateway_in_flight_requests"), 0);
  EXPECT_EQ(value("mcp_gateway_open_streams"), 0);
  EXPECT_EQ(value("mcp_gateway_sessions"), 0);
  // No label value carries a path, DSN or token.
  EXPECT_EQ(m.find("a.db"), std::string::npos);
  EXPECT_EQ(m.find("sqlite"), std::string::npos);
  EXPECT_EQ(m.find(AdminToken()), std::string::npos);
  StopGatewayAndExpectCleanExit();
}

}  // namespace
}  // namespace mcpgw::it
