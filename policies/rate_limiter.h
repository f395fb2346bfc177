#pragma once
// Request rate limits: one token bucket per key (a tenant, a DSN's instance
// key). A pure decision given the time, which the caller passes in.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/mutex.h"

namespace mcpgw::policies {

struct RateLimit {
  double per_second = 0;  // 0: unlimited
  double burst = 0;       // bucket size; below 1 means max(1, per_second)
  bool unlimited() const { return per_second <= 0; }
};

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // nullopt when a token was taken; otherwise how long until one is there.
  std::optional<std::chrono::milliseconds> TryTake(const RateLimit& limit,
                                                   TimePoint now);
  TimePoint last() const { return last_; }

 private:
  double tokens_ = -1;  // -1: not started (full)
  TimePoint last_{};
};

// Buckets by key, safe to share between threads. Forgets buckets that have
// been full for a while, so that one-off keys do not pile up.
class RateLimiter {
 public:
  std::optional<std::chrono::milliseconds> TryTake(
      const std::string& key, const RateLimit& limit,
      TokenBucket::TimePoint now);
  std::size_t size() const;

 private:
  static constexpr std::size_t kPruneAbove = 10'000;
  mutable Mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

// Whole seconds for a Retry-After header: at least 1.
long RetryAfterSeconds(std::chrono::milliseconds wait);

}  // namespace mcpgw::policies
