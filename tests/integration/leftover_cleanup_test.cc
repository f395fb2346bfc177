// A gateway killed with SIGKILL cannot stop its DBHub children; the next
// gateway on the same --state-dir does.

#include <chrono>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using LeftoverCleanupTest = GatewayTest;

constexpr std::chrono::seconds kCleanupBound{10};

TEST_F(LeftoverCleanupTest, NextGatewayOnTheSameStateDirKillsLeftovers) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("leftover.db");
  {
    auto client = Client(dsn);
    const auto response = client.ListTools();
    ASSERT_EQ(response.status, 200) << response.Describe();
  }
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  const auto leftover = IdentifyProcess(snapshot.instances[0].pid);
  ASSERT_TRUE(leftover.has_value()) << snapshot.response.body;

  gateway().Kill();
  if (!IsRunning(*leftover)) {
    GTEST_SKIP() << "DBHub died with its gateway: nothing left to clean up";
  }

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
  const auto after = Instances();
  ASSERT_TRUE(after.parsed) << after.response.Describe();
  ASSERT_EQ(after.instances.size(), 1u) << after.response.body;
  EXPECT_NE(after.instances[0].pid, leftover->pid) << after.response.body;
}

}  // namespace
}  // namespace mcpgw::it
