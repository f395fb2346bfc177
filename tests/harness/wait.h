#pragma once
// Waiting for an event with a deadline: the harness tests never sleep a
// fixed time to let something happen; they poll a condition until it holds
// (returning as soon as it does) or a generous deadline passes.

#include <chrono>
#include <thread>

namespace mcpgw::harness {

// Long enough for a loaded CI machine; only a failing test waits this long.
inline constexpr std::chrono::milliseconds kEventDeadline{10'000};

template <typename Predicate>
bool WaitFor(Predicate&& done,
             std::chrono::milliseconds timeout = kEventDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mcpgw::harness
