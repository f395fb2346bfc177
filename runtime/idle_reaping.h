#pragma once
// When the pool reaps an instance that has been idle, and how often it
// looks. Pure decisions; the pool's reaper thread (InstancePool::StartReaper)
// calls InstancePool::ReapIdle every ReaperInterval, and ReapIdle stops
// each instance for which IsIdle holds. When the pool is full, the least
// recently used idle instance is evicted instead (FindEvictableLocked,
// which uses IsUnused too).

#include <chrono>
#include <optional>

namespace mcpgw::runtime {

// What the reaper sees of one ready instance.
struct InstanceUse {
  int in_flight = 0;     // requests being answered
  int open_streams = 0;  // SSE streams held open
  std::chrono::steady_clock::time_point last_used;
  // The tenant's own idle timeout, else the pool's --idle-timeout.
  std::optional<std::chrono::milliseconds> idle_timeout;
};

// Nothing in flight and no stream open: may be stopped or evicted.
bool IsUnused(const InstanceUse& use);

// Unused and last used at least its idle timeout ago. A long request or an
// open stream keeps an instance alive however long it lasts.
bool IsIdle(const InstanceUse& use, std::chrono::milliseconds pool_idle_timeout,
            std::chrono::steady_clock::time_point now);

// A quarter of the idle timeout, within [50 ms, 1 s]: an idle instance is
// stopped at most a quarter (or one second) after its time is up.
std::chrono::milliseconds ReaperInterval(std::chrono::milliseconds idle_timeout);

}  // namespace mcpgw::runtime
