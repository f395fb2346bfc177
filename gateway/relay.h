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

// What happened while relaying, for the access log and the metrics.
struct RelayStats {
  unsigned status = 0;          // HTTP status sent to the client
  std::size_t bytes_out = 0;    // body bytes sent to the client
  bool backend_failed = false;  // no answer, or an answer cut short
  bool client_gone = false;
  // From sending the request to the instance to its answer's last byte.
  std::chrono::steady_clock::duration backend_time{};
};

// Returns whether the client connection may carry another request.
asio::awaitable<bool> RelayToInstance(const Request& client_request,
                                      beast::tcp_stream& client,
                                      runtime::Lease& lease,
                                      BackendConnections& connections,
                                      const RelayLimits& limits,
                                      RelayStats* stats = nullptr);

}  // namespace mcpgw::gateway
