#pragma once
// Forwards one request to an instance and streams the answer back to the
// client as it arrives: each SSE event is flushed on its own, nothing is
// buffered whole.

#include <chrono>

#include "gateway/backend_connections.h"
#include "gateway/http_types.h"
#include "runtime/instance_pool.h"

namespace mcpgw::gateway {

struct RelayLimits {
  std::chrono::seconds connect_timeout{5};
  // Longest silence from an instance, while waiting for its answer or
  // between two pieces of a stream.
  std::chrono::seconds backend_idle_timeout{300};
  std::chrono::seconds client_write_timeout{30};
};

// Returns whether the client connection may carry another request.
asio::awaitable<bool> RelayToInstance(const Request& client_request,
                                      beast::tcp_stream& client,
                                      runtime::Lease& lease,
                                      BackendConnections& connections,
                                      const RelayLimits& limits);

}  // namespace mcpgw::gateway
