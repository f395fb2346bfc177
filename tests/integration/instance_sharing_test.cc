// One DBHub per DSN: clients presenting the same DSN share an instance, even
// when their first requests arrive together; different DSNs get their own.

#include <latch>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/test_runtime.h"

namespace mcpgw::it {
namespace {

using InstanceSharingTest = GatewayTest;

constexpr int kConcurrentClients = 8;

TEST_F(InstanceSharingTest, TwoClientsWithTheSameDsnShareOneInstance) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("shared.db");
  auto first = Client(dsn);
  auto second = Client(dsn);

  const auto a = first.ListTools();
  const auto b = second.ListTools();
  const auto a_again = first.ListTools();

  ASSERT_EQ(a.status, 200) << a.Describe();
  ASSERT_EQ(b.status, 200) << b.Describe();
  ASSERT_EQ(a_again.status, 200) << a_again.Describe();
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  EXPECT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
}

TEST_F(InstanceSharingTest, ConcurrentFirstRequestsStartOneInstance) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("concurrent.db");
  const std::string url = gateway().mcp_url();
  std::vector<HttpResponse> responses(kConcurrentClients);
  std::latch ready(kConcurrentClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConcurrentClients; ++i) {
    threads.emplace_back([&, i] {
      McpClient client(url, dsn);  // its own curl handle and connection
      ready.arrive_and_wait();     // all fire at the same moment
      responses[i] = client.ListTools();
    });
  }
  for (auto& thread : threads) thread.join();

  for (int i = 0; i < kConcurrentClients; ++i) {
    EXPECT_EQ(responses[i].status, 200)
        << "client " << i << ": " << responses[i].Describe();
    EXPECT_FALSE(ToolNames(responses[i]).empty())
        << "client " << i << ": " << responses[i].Describe();
  }
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  const auto requests = snapshot.instances[0].raw.value("requests",
                                                        nlohmann::json());
  if (requests.is_number_integer()) {
    EXPECT_GE(requests.get<int>(), kConcurrentClients)
        << snapshot.response.body;
  }
}

TEST_F(InstanceSharingTest, DifferentDsnsGetDifferentInstances) {
  StartGateway();
  auto first = Client(NewSqliteDsn("one.db"));
  auto second = Client(NewSqliteDsn("two.db"));

  const auto a = first.ListTools();
  const auto b = second.ListTools();

  ASSERT_EQ(a.status, 200) << a.Describe();
  ASSERT_EQ(b.status, 200) << b.Describe();
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  ASSERT_EQ(snapshot.instances.size(), 2u) << snapshot.response.body;
  const auto& x = snapshot.instances[0];
  const auto& y = snapshot.instances[1];
  EXPECT_NE(x.id, y.id) << snapshot.response.body;
  EXPECT_GT(x.pid, 0) << snapshot.response.body;
  EXPECT_GT(y.pid, 0) << snapshot.response.body;
  EXPECT_NE(x.pid, y.pid) << snapshot.response.body;
  EXPECT_GT(x.port, 0) << snapshot.response.body;
  EXPECT_GT(y.port, 0) << snapshot.response.body;
  // Pods have addresses of their own: the same port, different pods.
  if (UnderKubernetesRuntime()) {
    EXPECT_NE(x.container_id, y.container_id) << snapshot.response.body;
  } else {
    EXPECT_NE(x.port, y.port) << snapshot.response.body;
  }
  EXPECT_TRUE(IsRunning(x.pid)) << "pid " << x.pid;
  EXPECT_TRUE(IsRunning(y.pid)) << "pid " << y.pid;
}

}  // namespace
}  // namespace mcpgw::it
