// Webhooks reach a receiver, signed; a dead receiver changes nothing for
// MCP clients.

#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/gateway_fixture.h"
#include "test_support/metrics_text.h"
#include "test_support/net_util.h"
#include "test_support/postgres_server.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"
#include "test_support/webhook_receiver.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using WebhookTest = GatewayTest;

constexpr std::chrono::seconds kWait{30};
constexpr const char* kSecret = "webhook-test-secret-0123456789abcdef";

std::vector<std::string> EventNames(const WebhookReceiver& receiver) {
  std::vector<std::string> names;
  for (const auto& d : receiver.deliveries()) {
    auto body = nlohmann::json::parse(d.body, nullptr, false);
    names.push_back(body.is_object() ? body.value("event", "?") : "unparsable");
  }
  return names;
}

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST_F(WebhookTest, LifecycleAndCapacityEventsArriveSigned) {
  WebhookReceiver receiver;
  const auto secret_file = temp().path() / "webhook.key";
  std::ofstream(secret_file) << kSecret << "\n";
  StartGateway({"--webhook=" + receiver.url(),
                "--webhook-secret-file=" + secret_file.string(),
                "--max-instances=1", "--idle-timeout=2s"});
  auto client = Client(NewSqliteDsn("hooks.db"));
  ASSERT_EQ(client.ListTools().status, 200);

  // Reaped once idle for two seconds.
  ASSERT_TRUE(WaitUntil([&] { return Has(EventNames(receiver), "instance.reaped"); },
                        kWait))
      << ::testing::PrintToString(EventNames(receiver));
  const auto names = EventNames(receiver);
  auto position = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) - names.begin();
  };
  EXPECT_LT(position("instance.started"), position("instance.ready"));
  EXPECT_LT(position("instance.ready"), position("instance.reaped"));
  // One instance out of one: at the threshold.
  EXPECT_TRUE(Has(names, "capacity.pressure"))
      << ::testing::PrintToString(names);

  for (const auto& d : receiver.deliveries()) {
    SCOPED_TRACE(d.body);
    EXPECT_EQ(d.request_line.substr(0, 10), "POST /hook");
    EXPECT_EQ(d.headers.at("content-type"), "application/json");
    EXPECT_EQ(d.headers.at("x-mcp-gateway-signature"),
              ExpectedSignature(kSecret, d.body));
    const auto body = nlohmann::json::parse(d.body);
    EXPECT_EQ(d.headers.at("x-mcp-gateway-event"), body["event"]);
    EXPECT_TRUE(body["time"].is_string());
    EXPECT_EQ(body["pool"]["max_instances"], 1);
    if (body["event"] != "capacity.pressure") {
      EXPECT_TRUE(body["instance"]["id"].is_string());
      EXPECT_EQ(body["instance"]["runtime"],
                UnderDockerRuntime() ? "docker" : "process");
    }
  }
  StopGatewayAndExpectCleanExit();
}

TEST_F(WebhookTest, AFailedStartIsReported) {
  WebhookReceiver receiver;
  StartGateway({"--webhook=" + receiver.url()});
  RefusingPort closed;
  auto client = Client("postgres://u:p@127.0.0.1:" +
                       std::to_string(closed.port()) + "/x");
  EXPECT_EQ(client.ListTools().status, 502);
  ASSERT_TRUE(WaitUntil([&] { return Has(EventNames(receiver), "instance.failed"); },
                        kWait))
      << ::testing::PrintToString(EventNames(receiver));
  // Without --webhook-secret-file the key is generated into the state dir.
  std::ifstream key_file(state_dir() / "webhook-secret");
  std::string key;
  std::getline(key_file, key);
  ASSERT_GE(key.size(), 32u);
  for (const auto& d : receiver.deliveries()) {
    EXPECT_EQ(d.headers.at("x-mcp-gateway-signature"),
              ExpectedSignature(key, d.body));
    EXPECT_EQ(d.body.find(":p@"), std::string::npos) << d.body;
  }
  StopGatewayAndExpectCleanExit();
}

TEST_F(WebhookTest, ARefusalForCapacityIsReportedAndCounted) {
  auto& postgres = SharedPostgres();
  WebhookReceiver receiver;
  StartGateway({"--webhook=" + receiver.url(), "--max-instances=1",
                "--start-timeout=60s"});
  auto busy = Client(postgres.Dsn());
  ASSERT_EQ(busy.ExecuteSql(kProductsQuery).status, 200);
  const std::string id = Instances().instances.at(0).id;
  auto slow = std::async(std::launch::async, [&] {
    auto client = Client(postgres.Dsn());
    return client.ExecuteSql("SELECT pg_sleep(3)");
  });
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto body = nlohmann::json::parse(
            Admin("GET", "/admin/instances/" + id).body, nullptr, false);
        // The second request (after the warm-up) holds the instance.
        return body.is_object() && body.value("requests", 0) == 2 &&
               body.value("in_flight", 0) == 1;
      },
      kWait));
  // The only instance is busy: another database is refused, not queued.
  auto other = Client(NewSqliteDsn("other.db"));
  const auto refused = other.ExecuteSql(kPeopleQuery);
  EXPECT_EQ(refused.status, 503) << refused.Describe();
  EXPECT_EQ(JsonRpcErrorCode(refused), rpc_code::kNoCapacity) << refused.Describe();
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(slow.get().status, 200);

  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& d : receiver.deliveries()) {
          auto body = nlohmann::json::parse(d.body, nullptr, false);
          if (body.is_object() && body.value("event", "") == "capacity.pressure" &&
              body.value("cause", "") == "refused") {
            return true;
          }
        }
        return false;
      },
      kWait))
      << ::testing::PrintToString(EventNames(receiver));
  const auto metrics = Admin("GET", "/metrics");
  EXPECT_EQ(MetricValue(metrics.body, "mcp_gateway_refusals_total",
                        {{"code", std::to_string(rpc_code::kNoCapacity)}, {"reason", "capacity"}}),
            1)
      << metrics.body;
  EXPECT_EQ(MetricValue(metrics.body, "mcp_gateway_requests_total",
                        {{"method", "tools/call"}, {"outcome", "refused"}}),
            1);
  StopGatewayAndExpectCleanExit();
}

TEST_F(WebhookTest, AHungOrMissingReceiverDoesNotAffectMcpRequests) {
  WebhookReceiver hung(WebhookReceiver::Mode::kBlackHole);
  RefusingPort closed;
  StartGateway({"--webhook=" + hung.url(),
                "--webhook=http://127.0.0.1:" + std::to_string(closed.port()) +
                    "/hook",
                "--webhook-timeout=60s", "--idle-timeout=1s"});
  // Instances come and go (each start, ready and reap is an event) while the
  // receivers never answer; every MCP request is still answered.
  for (int round = 0; round < 3; ++round) {
    auto client = Client(NewSqliteDsn("db" + std::to_string(round) + ".db"));
    for (int i = 0; i < 5; ++i) {
      const auto response = client.ExecuteSql(kPeopleQuery);
      ASSERT_EQ(response.status, 200) << response.Describe();
      ASSERT_TRUE(ExecuteSqlRows(response).has_value()) << response.Describe();
    }
  }
  const auto metrics = Admin("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(MetricValue(metrics.body, "mcp_gateway_webhook_events_total",
                        {{"result", "delivered"}}),
            0);
  EXPECT_EQ(Admin("GET", "/readyz", "").status, 200);
  // Shutdown does not wait out the 60 s webhook timeout.
  StopGatewayAndExpectCleanExit();
}

}  // namespace
}  // namespace mcpgw::it
