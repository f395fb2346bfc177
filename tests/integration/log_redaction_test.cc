// Every log path fed a DSN whose password is a marker, with --log-format=json:
// each line is a JSON object, the access and lifecycle lines are there, and
// the marker is nowhere: not in the log, the admin API, the metrics or the
// webhooks.

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/net_util.h"
#include "test_support/postgres_server.h"
#include "test_support/wait_until.h"
#include "test_support/webhook_receiver.h"

namespace mcpgw::it {
namespace {

using LogRedactionTest = GatewayTest;

constexpr std::chrono::seconds kWait{30};
constexpr const char* kMarker = "Marker-Pw-4242";

TEST_F(LogRedactionTest, JsonLogsCarryNoPasswordOnAnyPath) {
  auto& postgres = SharedPostgres();
  WebhookReceiver receiver;
  StartGateway({"--log-format=json", "--log-level=debug",
                "--start-timeout=60s", "--webhook=" + receiver.url()});
  const std::vector<std::string> secrets = {PostgresServer::kPassword, kMarker};

  // A working instance: access lines, lifecycle lines, admin views.
  auto good = Client(postgres.Dsn());
  ASSERT_EQ(good.ExecuteSql(kProductsQuery).status, 200);
  ASSERT_EQ(good.ListTools().status, 200);
  const auto snapshot = Instances();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  const std::string id = snapshot.instances[0].id;
  std::vector<HttpResponse> admin = {
      snapshot.response, Admin("GET", "/admin/instances/" + id),
      Admin("GET", "/admin/instances/" + id + "/logs"),
      Admin("GET", "/admin/config"), Admin("GET", "/metrics"),
      Admin("GET", "/admin/scaling")};
  ASSERT_EQ(Admin("POST", "/admin/instances/" + id + "/drain").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, kWait));

  // A start that fails (the password is the marker), a DSN in the query
  // string, a malformed DSN, and a deleted instance.
  RefusingPort closed;
  auto bad = Client(std::string("postgres://bob:") + kMarker + "@127.0.0.1:" +
                    std::to_string(closed.port()) + "/x");
  EXPECT_EQ(bad.ListTools().status, 502);
  auto smuggler = Client(std::nullopt);
  smuggler.PostRaw(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                   "?dsn=" + UrlEncode(std::string("postgres://bob:") +
                                       kMarker + "@h/db"));
  auto malformed = Client(std::string("postgres://bob:") + kMarker + "@[h/db");
  EXPECT_EQ(malformed.ListTools().status, 400);
  ASSERT_EQ(good.ListTools().status, 200);
  const auto again = Instances();
  ASSERT_EQ(again.instances.size(), 1u);
  ASSERT_EQ(Admin("DELETE", "/admin/instances/" + again.instances[0].id).status,
            202);
  ASSERT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, kWait));
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& d : receiver.deliveries()) {
          if (d.body.find("instance.failed") != std::string::npos) return true;
        }
        return false;
      },
      kWait));
  StopGatewayAndExpectCleanExit();

  const std::string output = gateway().Output();
  std::istringstream lines(output);
  std::string line;
  int access = 0, lifecycle = 0, shutdown = 0, parsed = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(json.is_object()) << "not a JSON line: " << line;
    EXPECT_TRUE(json.contains("time") && json.contains("level")) << line;
    ++parsed;
    const std::string event = json.value("event", "");
    access += event == "access";
    lifecycle += event == "instance";
    shutdown += event == "shutdown";
    if (event == "access" && json.value("method", "") == "tools/call") {
      EXPECT_EQ(json["tool"], "execute_sql") << line;
      EXPECT_EQ(json["status"], 200) << line;
      EXPECT_TRUE(json["key"].is_string()) << line;
      EXPECT_TRUE(json["duration_ms"].is_number()) << line;
      EXPECT_GT(json["bytes_out"].get<int>(), 0) << line;
    }
  }
  EXPECT_GE(access, 6) << output;
  EXPECT_GE(lifecycle, 8) << output;
  EXPECT_GE(shutdown, 2) << output;
  EXPECT_GT(parsed, 10);

  for (const auto& secret : secrets) {
    EXPECT_TRUE(DoesNotContain(output, secret)) << "in the gateway's log";
    for (const auto& response : admin) {
      EXPECT_TRUE(DoesNotContain(response.body, secret)) << "in an admin answer";
    }
    for (const auto& d : receiver.deliveries()) {
      EXPECT_TRUE(DoesNotContain(d.body, secret)) << "in a webhook";
    }
  }
}

}  // namespace
}  // namespace mcpgw::it
