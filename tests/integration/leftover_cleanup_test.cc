// A gateway killed with SIGKILL cannot stop its DBHub instances; the next
// gateway on the same --state-dir does: it kills leftover processes, and
// adopts leftover containers that are healthy and removes the others.

#include <chrono>

#include <gtest/gtest.h>

#include "test_support/admin_api.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/mcp_client.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using LeftoverCleanupTest = GatewayTest;

constexpr std::chrono::seconds kCleanupBound{10};

TEST_F(LeftoverCleanupTest, NextGatewayOnTheSameStateDirKillsLeftovers) {
  if (UnderContainerRuntime()) {
    GTEST_SKIP() << "containers and pods are adopted, not killed: "
                    "NextGatewayAdoptsHealthyContainersAndRemovesTheRest, "
                    "KubernetesRuntimeTest.RestartedGatewayAdoptsItsPod";
  }
  StartGateway();
  const std::string dsn = NewSqliteDsn("leftover.db");
  {
    auto client = Client(dsn);
    const auto response = client.ListTools();
    ASSERT_EQ(response.status, 200) << response.Describe();
  }
  const auto leftover = OnlyInstanceProcess();
  ASSERT_TRUE(leftover.has_value());

  gateway().Kill();
  // A process instance dies with its gateway (the parent-death signal the
  // sandbox launcher arms); the records in the state directory stay the
  // second line, for a process that outlived it anyway.
  EXPECT_TRUE(WaitUntil([&] { return !IsRunning(*leftover); },
                        std::chrono::seconds(1), std::chrono::milliseconds(20)))
      << "DBHub pid " << leftover->pid << " outlived its killed gateway";

  const auto restart = std::chrono::steady_clock::now();
  StartGateway();
  const auto startup = std::chrono::steady_clock::now() - restart;
  ASSERT_LT(startup, kCleanupBound) << "the new gateway took that long to start";
  EXPECT_TRUE(WaitUntil(
      [&] { return !IsRunning(*leftover); },
      std::chrono::duration_cast<std::chrono::milliseconds>(kCleanupBound -
                                                            startup)))
      << "DBHub pid " << leftover->pid << " of the killed gateway still runs "
      << kCleanupBound.count() << " s after the new gateway started";

  // And the new gateway serves the same DSN with a new instance.
  auto client = Client(dsn);
  const auto response = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(response.status, 200) << response.Describe();
  EXPECT_EQ(ExecuteSqlRows(response), PeopleRows()) << response.Describe();
  ExpectOnlyInstanceReplaced(leftover->pid);
}

// Container runtime: the healthy leftover keeps serving its DSN under the
// new gateway (same container, no restart); the one that died meanwhile is
// removed from the engine.
TEST_F(LeftoverCleanupTest, NextGatewayAdoptsHealthyContainersAndRemovesTheRest) {
  if (!UnderDockerRuntime()) GTEST_SKIP() << "containers only";
  StartGateway();
  const std::string healthy_dsn = NewSqliteDsn("healthy.db");
  const std::string dead_dsn = NewSqliteDsn("dead.db");
  ASSERT_EQ(Client(healthy_dsn).ListTools().status, 200);
  ASSERT_EQ(Client(dead_dsn).ListTools().status, 200);
  const auto before = Instances();
  ASSERT_EQ(before.instances.size(), 2u) << before.response.body;
  std::string healthy_id, dead_id;
  for (const auto& instance : before.instances) {
    ASSERT_FALSE(instance.container_id.empty()) << before.response.body;
    EXPECT_FALSE(instance.image.empty()) << before.response.body;
    (instance.target.find("healthy.db") != std::string::npos ? healthy_id
                                                              : dead_id) =
        instance.container_id;
  }
  ASSERT_FALSE(healthy_id.empty());
  ASSERT_FALSE(dead_id.empty());

  gateway().Kill();
  auto engine = TestEngine();
  ASSERT_TRUE(engine.Kill(dead_id).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto details = engine.Inspect(dead_id);
        return details.ok() && !details->running;
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(engine.Inspect(healthy_id).ok()) << "the healthy one is gone";

  StartGateway();
  EXPECT_TRUE(absl::IsNotFound(engine.Inspect(dead_id).status()))
      << "the dead leftover container is still on the engine";
  const auto adopted = Instances();
  ASSERT_EQ(adopted.instances.size(), 1u) << adopted.response.body;
  EXPECT_EQ(adopted.instances[0].container_id, healthy_id)
      << adopted.response.body;
  EXPECT_EQ(adopted.instances[0].state, "ready") << adopted.response.body;

  auto client = Client(healthy_dsn);
  const auto response = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(response.status, 200) << response.Describe();
  EXPECT_EQ(ExecuteSqlRows(response), PeopleRows()) << response.Describe();
  const auto after = Instances();
  ASSERT_EQ(after.instances.size(), 1u) << after.response.body;
  EXPECT_EQ(after.instances[0].container_id, healthy_id)
      << "the adopted container was replaced: " << after.response.body;

  // The dead one's DSN gets a new container.
  EXPECT_EQ(Client(dead_dsn).ExecuteSql(kPeopleQuery).status, 200);
}

// A tenant's container (started with a DBHub config) is not adopted: the
// next gateway removes it, and the tenant gets a new one on its next call.
TEST_F(LeftoverCleanupTest, NextGatewayRemovesLeftoverTenantContainers) {
  if (!UnderDockerRuntime()) GTEST_SKIP() << "containers only";
  StartGateway();
  HttpClient http;
  const auto created = AdminRequest(
      http, gateway().admin_port(), AdminToken(), "POST", "/admin/tenants",
      {{"id", "acme"},
       {"sources", {{{"id", "people"}, {"dsn", NewSqliteDsn("tenant.db")}}}}});
  ASSERT_EQ(created.status, 201) << created.Describe();
  const auto issued =
      AdminRequest(http, gateway().admin_port(), AdminToken(), "POST",
                   "/admin/tenants/acme/tokens", nlohmann::json::object());
  ASSERT_EQ(issued.status, 201) << issued.Describe();
  const std::string token =
      nlohmann::json::parse(issued.body, nullptr, false).value("token", "");
  auto tenant_sql = [&] {
    McpClient tenant(gateway().mcp_url(), std::nullopt);
    tenant.AddHeader("Authorization: Bearer " + token);
    return tenant.Call("tools/call",
                       {{"name", "execute_sql"},
                        {"arguments", {{"sql", kPeopleQuery}}}});
  };
  const auto before = tenant_sql();
  ASSERT_EQ(before.status, 200) << before.Describe();
  const auto instances = Instances();
  ASSERT_EQ(instances.instances.size(), 1u) << instances.response.body;
  const std::string leftover = instances.instances[0].container_id;
  ASSERT_FALSE(leftover.empty());

  gateway().Kill();
  auto engine = TestEngine();
  ASSERT_TRUE(engine.Inspect(leftover).ok()) << "the container went with the gateway";

  StartGateway();
  EXPECT_TRUE(absl::IsNotFound(engine.Inspect(leftover).status()))
      << "the tenant's leftover container is still on the engine";
  EXPECT_TRUE(Instances().instances.empty());
  const auto after = tenant_sql();
  ASSERT_EQ(after.status, 200) << after.Describe();
  EXPECT_EQ(ExecuteSqlRows(after), PeopleRows()) << after.Describe();
  const auto serving = Instances();
  ASSERT_EQ(serving.instances.size(), 1u) << serving.response.body;
  EXPECT_NE(serving.instances[0].container_id, leftover);
}

}  // namespace
}  // namespace mcpgw::it
