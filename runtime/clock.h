#pragma once
// Time as the pool sees it, injectable so that tests drive idle reaping
// without sleeping.

#include <chrono>

namespace mcpgw::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  // For durations (idle time, LRU order).
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // For showing to people (admin API).
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

}  // namespace mcpgw::runtime
