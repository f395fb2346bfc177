#include "runtime/idle_reaping.h"

#include <algorithm>

namespace mcpgw::runtime {

bool IsUnused(const InstanceUse& use) {
  return use.in_flight == 0 && use.open_streams == 0;
}

bool IsIdle(const InstanceUse& use, std::chrono::milliseconds pool_idle_timeout,
            std::chrono::steady_clock::time_point now) {
  return IsUnused(use) &&
         now - use.last_used >= use.idle_timeout.value_or(pool_idle_timeout);
}

std::chrono::milliseconds ReaperInterval(std::chrono::milliseconds idle_timeout) {
  return std::clamp<std::chrono::milliseconds>(idle_timeout / 4,
                                               std::chrono::milliseconds(50),
                                               std::chrono::milliseconds(1'000));
}

}  // namespace mcpgw::runtime
