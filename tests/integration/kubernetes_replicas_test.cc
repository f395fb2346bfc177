// Several gateway processes with one secret against one namespace: the
// replicas of a Deployment, without a leader or a session store. A session
// begun on one continues on another; one ended with DELETE stays ended on
// every replica and after a restart; a pod in use by one replica is never
// reaped by another, and the pods of a replica that died are.

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/kube_fixture.h"
#include "test_support/mcp_client.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class KubernetesReplicasTest : public KubernetesTest {};

TEST_F(KubernetesReplicasTest, SessionContinuesOnAnotherReplicaAndItsEndIsShared) {
  auto& first = StartGateway();
  auto second = StartReplica("second");
  const std::string dsn = NewSqliteDsn("replica-session.db");
  auto on_first = McpClient(first.mcp_url(), dsn);
  ASSERT_EQ(on_first.Initialize().status, 200);
  ASSERT_FALSE(on_first.session_id().empty());
  // The same session id through the other replica.
  auto on_second = McpClient(second->mcp_url(), dsn);
  on_second.set_session_id(on_first.session_id());
  const auto continued = on_second.ExecuteSql("SELECT 1 AS one");
  ASSERT_EQ(continued.status, 200) << continued.Describe();
  // Ended on the first: refused on the second as soon as it hears of it.
  ASSERT_EQ(on_first.Send("DELETE").status, 204);
  EXPECT_TRUE(WaitUntil([&] { return on_second.ExecuteSql("SELECT 1").status == 404; }, 15s))
      << on_second.ExecuteSql("SELECT 1").Describe();
  // And on a replica started afterwards (a restart).
  auto third = StartReplica("third");
  auto on_third = McpClient(third->mcp_url(), dsn);
  on_third.set_session_id(on_first.session_id());
  EXPECT_TRUE(WaitUntil([&] { return on_third.ExecuteSql("SELECT 1").status == 404; }, 15s))
      << on_third.ExecuteSql("SELECT 1").Describe();
  // The record names no DSN and holds no secret.
  std::string listed;
  ASSERT_EQ(KubeCall("GET",
                     "/api/v1/namespaces/" + Ns() +
                         "/configmaps?labelSelector=mcp-gateway%2Fkind%3Dended-session",
                     std::nullopt, &listed),
            200);
  EXPECT_NE(listed.find("mcpgw-ended-"), std::string::npos) << listed;
  EXPECT_EQ(listed.find(dsn), std::string::npos);
  EXPECT_EQ(listed.find(on_first.session_id()), std::string::npos);
}

TEST_F(KubernetesReplicasTest, PodInUseIsKeptAndAGoneReplicasPodIsReapedByAnother) {
  // Both replicas reap what no replica used for 3 s; only the first uses the pod.
  auto& first = StartGateway({"--idle-timeout=3s"});
  auto second = StartReplica("sweeper", {"--idle-timeout=3s"});
  const std::string dsn = NewSqliteDsn("replica-reap.db");
  auto client = McpClient(first.mcp_url(), dsn);
  ASSERT_EQ(client.ListTools().status, 200);
  const std::string name = OnlyPodName();
  const std::string uid = KubeGet(PodPath(name))["metadata"]["uid"];
  // Used every half second for 8 s: the other replica leaves it alone.
  const auto busy_until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < busy_until) {
    ASSERT_EQ(client.ExecuteSql("SELECT 1 AS one").status, 200);
    std::this_thread::sleep_for(500ms);
  }
  const json still = KubeGet(PodPath(name));
  ASSERT_TRUE(still.is_object());
  EXPECT_EQ(still["metadata"]["uid"], uid);
  bool recorded = false;
  const json annotations = still["metadata"].value("annotations", json::object());
  for (const auto& [key, value] : annotations.items()) {
    recorded = recorded || key.starts_with("last-used.mcp-gateway.dev/");
  }
  EXPECT_TRUE(recorded) << still["metadata"].dump();
  // The replica that used it dies without a word: the other one, which
  // never used it, deletes it once it has been unused for the idle timeout.
  first.Kill();
  EXPECT_TRUE(WaitUntil(
      [&] {
        std::string body;
        return KubeCall("GET", PodPath(name), std::nullopt, &body) == 404;
      },
      60s));
  // And serves the DSN with a new one.
  auto on_second = McpClient(second->mcp_url(), dsn);
  EXPECT_EQ(on_second.ExecuteSql("SELECT 1 AS one").status, 200);
}

}  // namespace
}  // namespace mcpgw::it
