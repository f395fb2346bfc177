#pragma once
// Streams the rest of an instance's answer (one that is not an event
// stream: JSON, an error, a 202) to the client as it arrives, nothing
// buffered whole. Event streams go through sse_relay.h instead.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "gateway/backend_connections.h"
#include "gateway/http_server.h"
#include "gateway/http_types.h"
#include "gateway/instance_exchange.h"
#include "gateway/relay_limits.h"
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

// `exchange` has its head read, and its headers already cleaned for the
// client. The client's socket is watched meanwhile: a client that closes
// ends the relay at once (the instance connection is closed, not pooled),
// even while the instance is silent. Returns whether the client connection may carry another request.
// `awaited_id`: the request an event-stream answer answers. When the
// instance dies before that answer came, and the stream stands between two
// events, the client gets a JSON-RPC error event for it and a stream that
// ends cleanly, instead of a cut.
asio::awaitable<bool> RelayAnswer(OpenExchange& exchange,
                                  beast::tcp_stream& client,
                                  bool client_keep_alive,
                                  runtime::Lease& lease,
                                  BackendConnections& connections,
                                  const RelayLimits& limits,
                                  RelayStats& stats,
                                  std::optional<nlohmann::json> awaited_id = {});

// An answer whose relay the handler that opened it leaves to the client
// connection (a ConnectionTail): what the relay needs, nothing more.
struct DeferredRelay {
  DeferredRelay(OpenExchange exchange, runtime::Lease lease,
                std::shared_ptr<BackendConnections> connections,
                RelayLimits limits, bool client_keep_alive,
                std::optional<nlohmann::json> awaited_id,
                std::function<void(const RelayStats&)> finished)
      : exchange(std::move(exchange)),
        lease(std::move(lease)),
        connections(std::move(connections)),
        limits(limits),
        client_keep_alive(client_keep_alive),
        awaited_id(std::move(awaited_id)),
        finished(std::move(finished)) {}

  OpenExchange exchange;
  runtime::Lease lease;
  std::shared_ptr<BackendConnections> connections;
  RelayLimits limits;
  bool client_keep_alive;
  std::optional<nlohmann::json> awaited_id;
  // Called once the relay ended, for the access log and the metrics.
  std::function<void(const RelayStats&)> finished;
};

// RelayAnswer for `relay`, as the connection's tail; the lease goes when
// the tail is done.
ConnectionTail DeferRelay(std::shared_ptr<DeferredRelay> relay);

// The JSON-RPC error a client gets when its instance could not be reached
// or did not answer.
std::string BackendFailureMessage(const beast::error_code& error);

}  // namespace mcpgw::gateway
