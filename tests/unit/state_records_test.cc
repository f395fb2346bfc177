#include "runtime/state_records.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "runtime/process_spawn.h"

namespace mcpgw::runtime {
namespace {

std::filesystem::path TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("state-records-" + std::to_string(getpid()) + "-" +
              testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(StateRecords, StopsARecordedProcessAndForgetsIt) {
  // Real processes, real waits.
  const common::SystemClock clock;
  const auto dir = TempDir();
  StateRecords records(dir, clock);
  auto child = SpawnInOwnGroup({{"/bin/sleep", "60"}, {}, ""});
  ASSERT_TRUE(child.ok()) << child.status();
  close(child->output_fd);
  const auto ticks = ProcessStartTicks(child->pid);
  ASSERT_TRUE(ticks.has_value());
  records.Add("i-test-1", child->pid, *ticks);

  // A later gateway finds it alive and stops it. (Our own child stays a
  // zombie until reaped, which the start-tick check treats as gone.)
  StateRecords later(dir, clock);
  EXPECT_EQ(later.StopLeftovers(std::chrono::milliseconds(2'000)), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child->pid, &status, 0), child->pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(StateRecords, LeavesAReusedPidAlone) {
  const common::SystemClock clock;
  const auto dir = TempDir();
  StateRecords records(dir, clock);
  // Our own pid with a start time it never had: a pid that was reused.
  records.Add("i-test-2", getpid(), 1);
  EXPECT_EQ(records.StopLeftovers(std::chrono::milliseconds(100)), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(StateRecords, RemoveDropsTheRecord) {
  const common::SystemClock clock;
  const auto dir = TempDir();
  StateRecords records(dir, clock);
  records.Add("i-test-3", 12345, 1);
  EXPECT_FALSE(std::filesystem::is_empty(dir));
  records.Remove("i-test-3");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpgw::runtime
