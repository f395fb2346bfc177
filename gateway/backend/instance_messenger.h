#pragma once
// Exchanges the gateway makes with an instance on its own behalf, each a
// whole message answered by whole messages: the parts of a JSON-RPC batch,
// the messages of the legacy HTTP+SSE transport, and the initialize that a
// stateful backend needs again behind an existing gateway session.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "gateway/backend/backend_connections.h"
#include "gateway/backend/relay_limits.h"
#include "gateway/mcp/sessions.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

// Largest whole answer the gateway reads for itself.
inline constexpr std::size_t kMaxWholeAnswerBytes = 16 * 1024 * 1024;

struct MessageAnswer {
  unsigned status = 0;
  std::string backend_session;  // the instance's Mcp-Session-Id, if any
  std::vector<nlohmann::json> messages;
  // Set when no answer came: says why, for a client to read.
  std::optional<std::string> failure;
};

// POSTs one message to the instance's MCP endpoint.
asio::awaitable<MessageAnswer> PostToInstance(
    const nlohmann::json& message, std::string_view protocol_version,
    std::string_view backend_session, const runtime::Lease& lease,
    BackendConnections& connections, const RelayLimits& limits);

// The instance's session for a gateway session on the instance `lease`
// holds: the one already known, or a new one from initializing the instance
// again with the client's original parameters. Empty for stateless
// backends.
asio::awaitable<absl::StatusOr<std::string>> BackendSessionFor(
    const policies::SessionClaims& claims, const runtime::Lease& lease,
    SessionManager& sessions, BackendConnections& connections,
    const RelayLimits& limits);

// The answer to request `id` among `messages`, or a JSON-RPC error saying
// why there is none.
nlohmann::json AnswerFor(const nlohmann::json& id,
                         const std::vector<nlohmann::json>& messages,
                         const std::optional<std::string>& failure);

}  // namespace mcpgw::gateway
