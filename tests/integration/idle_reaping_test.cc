// An instance idle longer than --idle-timeout is stopped and forgotten; the
// next request starts a new one.

#include <chrono>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using IdleReapingTest = GatewayTest;

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kReapBound{20};
constexpr seconds kExitBound{10};
// The instance must not go long before its idle timeout (2 s) has passed.
constexpr milliseconds kEarliestReap{1000};

TEST_F(IdleReapingTest, IdleInstanceIsReapedAndRespawnedOnDemand) {
  StartGateway({"--idle-timeout=2s"});
  auto client = Client(NewSqliteDsn("idle.db"));

  const auto first = client.ExecuteSql(kPeopleQuery);
  const auto answered_at = std::chrono::steady_clock::now();
  ASSERT_EQ(first.status, 200) << first.Describe();
  ASSERT_EQ(ExecuteSqlRows(first), PeopleRows()) << first.Describe();
  const auto old_process = OnlyInstanceProcess();
  ASSERT_TRUE(old_process.has_value());

  InstancesSnapshot last;
  const bool reaped = WaitUntil(
      [&] {
        last = Instances();
        return last.parsed && last.instances.empty();
      },
      kReapBound, milliseconds(200));
  const auto reaped_after = std::chrono::steady_clock::now() - answered_at;
  ASSERT_TRUE(reaped) << "still listed after " << kReapBound.count()
                      << " s: " << last.response.Describe();
  EXPECT_GE(reaped_after, kEarliestReap)
      << "reaped before the idle timeout could have passed";
  EXPECT_TRUE(WaitUntil([&] { return !IsRunning(*old_process); }, kExitBound))
      << "DBHub pid " << old_process->pid
      << " still running after it left the list";

  const auto again = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(ExecuteSqlRows(again), PeopleRows()) << again.Describe();
  ExpectOnlyInstanceReplaced(old_process->pid);
}

}  // namespace
}  // namespace mcpgw::it
