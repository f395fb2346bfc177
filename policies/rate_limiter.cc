#include "policies/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mcpgw::policies {
namespace {

double Capacity(const RateLimit& limit) {
  return limit.burst >= 1 ? limit.burst : std::max(1.0, limit.per_second);
}

}  // namespace

std::optional<std::chrono::milliseconds> TokenBucket::TryTake(
    const RateLimit& limit, TimePoint now) {
  if (limit.unlimited()) return std::nullopt;
  const double capacity = Capacity(limit);
  if (tokens_ < 0) {
    tokens_ = capacity;
  } else if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity, tokens_ + elapsed * limit.per_second);
  }
  last_ = std::max(last_, now);
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return std::nullopt;
  }
  const double wait = (1 - tokens_) / limit.per_second;
  return std::chrono::milliseconds(
      static_cast<long long>(std::ceil(wait * 1000.0)));
}

std::optional<std::chrono::milliseconds> RateLimiter::TryTake(
    const std::string& key, const RateLimit& limit,
    TokenBucket::TimePoint now) {
  if (limit.unlimited()) return std::nullopt;
  MutexLock lock(mutex_);
  if (buckets_.size() > kPruneAbove) {
    // A bucket untouched for a minute has refilled for any rate >= 1/min.
    std::erase_if(buckets_, [now](const auto& entry) {
      return now - entry.second.last() > std::chrono::minutes(1);
    });
  }
  return buckets_[key].TryTake(limit, now);
}

std::size_t RateLimiter::size() const {
  MutexLock lock(mutex_);
  return buckets_.size();
}

long RetryAfterSeconds(std::chrono::milliseconds wait) {
  return std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
}

}  // namespace mcpgw::policies
