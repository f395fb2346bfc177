#pragma once
// Time limits on the way to and from instances.

#include <chrono>

namespace mcpgw::gateway {

struct RelayLimits {
  std::chrono::seconds connect_timeout{5};
  // Longest silence from an instance, while waiting for its answer or
  // between two pieces of a stream.
  std::chrono::seconds backend_idle_timeout{300};
  std::chrono::seconds client_write_timeout{30};
  // A comment line is sent on an SSE stream silent for this long.
  std::chrono::seconds sse_keepalive{15};
};

}  // namespace mcpgw::gateway
