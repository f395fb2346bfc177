#pragma once
// Streams the rest of an instance's answer (one that is not an event
// stream: JSON, an error, a 202) to the client as it arrives, nothing
// buffered whole. Event streams go through sse_relay.h instead.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "gateway/backend/backend_connections.h"
#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/relay_limits.h"
#include "gateway/http/http_server.h"
#include "gateway/http/http_types.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

// What happened while relaying, for the access log and the metrics.
struct RelayStats {
  unsigned status = 0;          // HTTP status sent to the client
  std::size_t bytes_out = 0;    // body bytes sent to the client
  bool backend_failed = false;  // no answer, or an answer cut short
  bool client_gone = false;
  // From sending the request to the instance to its answer's last byte.
  std::chrono::steady_clock::duration backend_time{};
};

// The data of the last event an event-stream answer ends with when the
// instance stops mid-answer between two events (`failure` says how), so
// that the stream ends cleanly instead of with a cut. The MCP layer writes
// it (the JSON-RPC error of the request still waiting); the relay knows
// only bytes. Empty function: the stream is just cut.
using CutStreamEnding = std::function<std::string(std::string_view failure)>;

// An answer whose relay the handler that opened it leaves to the client
// connection (a ConnectionTail): what the relay needs, nothing more.
struct DeferredRelay {
  DeferredRelay(OpenExchange exchange, runtime::Lease lease,
                std::shared_ptr<BackendConnections> connections,
                RelayLimits limits, bool client_keep_alive,
                CutStreamEnding ending,
                std::function<void(const RelayStats&)> finished)
      : exchange(std::move(exchange)),
        lease(std::move(lease)),
        connections(std::move(connections)),
        limits(limits),
        client_keep_alive(client_keep_alive),
        ending(std::move(ending)),
        finished(std::move(finished)) {}

  OpenExchange exchange;
  runtime::Lease lease;
  std::shared_ptr<BackendConnections> connections;
  RelayLimits limits;
  bool client_keep_alive;
  CutStreamEnding ending;
  // Called once the relay ended, for the access log and the metrics.
  std::function<void(const RelayStats&)> finished;
};

// Relays the rest of `relay`'s answer as the connection's tail; the lease
// goes when the tail is done. The exchange has its head read, and its
// headers already cleaned for the client. The client's socket is watched
// meanwhile: a client that closes ends the relay at once (the instance
// connection is closed, not pooled), even while the instance is silent.
// The tail returns whether the client connection may carry another request.
ConnectionTail DeferRelay(std::shared_ptr<DeferredRelay> relay);

}  // namespace mcpgw::gateway
