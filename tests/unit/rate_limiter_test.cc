#include "policies/rate_limiter.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, BurstThenRefusesWithTheWait) {
  TokenBucket bucket;
  const RateLimit limit{2, 3};
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(bucket.TryTake(limit, t0)) << i;
  auto wait = bucket.TryTake(limit, t0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 500ms);
  EXPECT_FALSE(bucket.TryTake(limit, t0 + 500ms));
  EXPECT_TRUE(bucket.TryTake(limit, t0 + 500ms));
}

TEST(TokenBucket, UnlimitedNeverRefuses) {
  TokenBucket bucket;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(bucket.TryTake({}, std::chrono::steady_clock::time_point{}));
  }
}

TEST(RateLimiter, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter;
  const RateLimit limit{1, 1};
  const auto now = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_FALSE(limiter.TryTake("a", limit, now));
  EXPECT_TRUE(limiter.TryTake("a", limit, now));
  EXPECT_FALSE(limiter.TryTake("b", limit, now));
}

TEST(RetryAfter, WholeSecondsAtLeastOne) {
  EXPECT_EQ(RetryAfterSeconds(1ms), 1);
  EXPECT_EQ(RetryAfterSeconds(1000ms), 1);
  EXPECT_EQ(RetryAfterSeconds(1001ms), 2);
}

}  // namespace
}  // namespace mcpgw::policies
