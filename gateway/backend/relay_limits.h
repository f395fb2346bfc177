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
  // A comment line is sent on an SSE stream silent for this long (an Asio
  // timer: in milliseconds so that tests can make it short and wait for the
  // comments instead of a manual clock; --sse-keepalive is whole seconds).
  std::chrono::milliseconds sse_keepalive{15'000};
};

}  // namespace mcpgw::gateway
