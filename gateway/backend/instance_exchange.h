#pragma once
// One HTTP exchange with an instance: send a request, read the answer's
// head; then either stream the body on (relay.h, sse_relay.h) or read it
// whole for the gateway's own use (batches, the legacy transport, backend
// re-initialization).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <nlohmann/json.hpp>

#include "gateway/backend/backend_connections.h"
#include "gateway/backend/backend_request.h"
#include "gateway/backend/relay_limits.h"
#include "gateway/http/http_types.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

using BackendParser = http::response_parser<http::buffer_body>;

struct OpenExchange {
  std::unique_ptr<BackendConnection> connection;  // null: failed
  std::unique_ptr<BackendParser> parser;          // the head is read
  beast::error_code error;                        // why it failed
};

// Sends `backend_request` on a pooled or new connection and reads the head.
// A pooled connection that fails before a byte of answer came back is
// replaced once by a fresh one (the instance may have closed it while idle);
// a request that got part of an answer is never sent twice.
asio::awaitable<OpenExchange> SendToInstance(const BackendRequest& backend_request,
                                             const runtime::Lease& lease,
                                             BackendConnections& connections,
                                             const RelayLimits& limits);

// The whole body of an opened exchange, at most `max_bytes`; returns the
// connection to the pool when the instance keeps it open. nullopt when the
// answer was cut short or too large.
asio::awaitable<std::optional<std::string>> ReadWholeBody(
    OpenExchange& exchange, const runtime::Lease& lease,
    BackendConnections& connections, const RelayLimits& limits,
    std::size_t max_bytes);

// The JSON-RPC messages of a whole answer: the data of each SSE event, or
// the JSON body (an object, or each element of an array).
std::vector<nlohmann::json> MessagesOfAnswer(std::string_view content_type,
                                             std::string_view body);

bool IsEventStream(std::string_view content_type);

}  // namespace mcpgw::gateway
