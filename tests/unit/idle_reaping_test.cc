// When an instance counts as idle, and how often the reaper looks.
#include "runtime/idle_reaping.h"

#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const auto kStart = std::chrono::steady_clock::time_point{} + seconds(1000);

TEST(IdleReaping, IdleOnceUnusedForTheTimeout) {
  const InstanceUse use{0, 0, kStart, std::nullopt};
  EXPECT_FALSE(IsIdle(use, seconds(60), kStart + seconds(59)));
  EXPECT_TRUE(IsIdle(use, seconds(60), kStart + seconds(60)));
}

TEST(IdleReaping, ATenantsOwnTimeoutWins) {
  const InstanceUse use{0, 0, kStart, milliseconds(5'000)};
  EXPECT_TRUE(IsIdle(use, seconds(60), kStart + seconds(5)));
  const InstanceUse longer{0, 0, kStart, seconds(600)};
  EXPECT_FALSE(IsIdle(longer, seconds(60), kStart + seconds(599)));
}

TEST(IdleReaping, ARequestOrAStreamKeepsAnInstanceHoweverOld) {
  const auto much_later = kStart + std::chrono::hours(24);
  EXPECT_FALSE(IsIdle({1, 0, kStart, std::nullopt}, seconds(60), much_later));
  EXPECT_FALSE(IsIdle({0, 1, kStart, std::nullopt}, seconds(60), much_later));
  EXPECT_FALSE(IsUnused({0, 1, kStart, std::nullopt}));
  EXPECT_TRUE(IsUnused({0, 0, kStart, std::nullopt}));
}

TEST(IdleReaping, TheReaperLooksAQuarterOfTheTimeoutWithinBounds) {
  EXPECT_EQ(ReaperInterval(milliseconds(2'000)), milliseconds(500));
  EXPECT_EQ(ReaperInterval(milliseconds(100)), milliseconds(50));
  EXPECT_EQ(ReaperInterval(seconds(300)), milliseconds(1'000));
}

}  // namespace
}  // namespace mcpgw::runtime
