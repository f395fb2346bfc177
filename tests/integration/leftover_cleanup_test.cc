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
  const auto leftover = OnlyInstanceProcess();
  ASSERT_TRUE(leftover.has_value());

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
  ExpectOnlyInstanceReplaced(leftover->pid);
}

}  // namespace
}  // namespace mcpgw::it
