#pragma once
// Time, injected. Every component that reads the time (the pool's idle
// reaping, session expiry, replay ages, rate limits, keep-alives, webhook
// deadlines, durations in logs and metrics) takes a Clock, so that a test
// moves time with a ManualClock (common/manual_clock.h) instead of
// sleeping. Only the composition root (src/gateway_app.cc) makes the
// SystemClock the running gateway uses.

#include <chrono>

namespace mcpgw::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // For durations and deadlines (idle time, LRU order, ages, rates).
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // For what is shown to people or compared with wall-clock times in
  // tokens and records (session expiry, event times).
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace mcpgw::common
