#pragma once
// A Clock that moves only when told (Advance): tests of expiry, ages, rates
// and keep-alive decisions pass time without waiting for it. Thread-safe:
// the code under test may read it from its own threads while the test
// advances it. Steady and wall time move together.

#include <chrono>

#include "common/clock.h"
#include "common/mutex.h"

namespace mcpgw::common {

class ManualClock final : public Clock {
 public:
  // Far from both epochs, so that "now minus an interval" never goes below
  // zero, and wall times look like real ones (sealed session tokens carry
  // Unix seconds).
  static constexpr std::chrono::seconds kStartSteady{1'000'000};
  static constexpr std::chrono::seconds kStartWall{1'800'000'000};

  std::chrono::steady_clock::time_point Now() const override {
    MutexLock lock(mutex_);
    return std::chrono::steady_clock::time_point(kStartSteady) + elapsed_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    MutexLock lock(mutex_);
    return std::chrono::system_clock::time_point(kStartWall) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(
               elapsed_);
  }
  void Advance(std::chrono::steady_clock::duration by) {
    MutexLock lock(mutex_);
    elapsed_ += by;
  }

 private:
  mutable Mutex mutex_;
  std::chrono::steady_clock::duration elapsed_ ABSL_GUARDED_BY(mutex_){};
};

}  // namespace mcpgw::common
