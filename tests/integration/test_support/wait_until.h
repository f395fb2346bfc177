#pragma once
// Polls a condition until it holds or a deadline passes: the tests wait for
// events, never for a fixed time.

#include <chrono>
#include <thread>

namespace mcpgw::it {

inline constexpr std::chrono::milliseconds kDefaultPollInterval{100};

// Returns true as soon as `done()` is true, false if it is still false at
// `timeout`. `done` is evaluated at least once.
template <typename Predicate>
bool WaitUntil(Predicate&& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = kDefaultPollInterval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace mcpgw::it
