#pragma once
// Bridging a 2026-07-28 client to a backend that speaks only the
// initialize-based era (2024-11-05 .. 2025-11-25), e.g. server-everything.
// Pure: what to send the backend, and how its answers are shaped for the
// client's revision. The I/O is McpHandler::Bridge (mcp_bridge.cc).
//
// How: server/discover is answered from the backend's initialize result;
// the stateless requests (tools/*, resources/*, prompts/*,
// completion/complete) run over a backend session initialized for that one
// request with the request's clientCapabilities, then ended. Results get
// the 2026-07-28 fields (resultType, and ttlMs/cacheScope where the
// revision asks for caching hints: "private", as every answer is specific
// to a DSN or tenant).

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mutex.h"
#include "gateway/mcp/jsonrpc_error.h"

namespace mcpgw::gateway {

// The revision the gateway speaks to an initialize-era backend.
inline constexpr std::string_view kBridgedBackendRevision = "2025-11-25";

enum class BackendEra { kStateless, kInitialize };

// Which era an instance speaks, probed once per instance (forgotten when it
// goes).
class BackendEras {
 public:
  std::optional<BackendEra> Find(const std::string& instance_id);
  void Set(const std::string& instance_id, BackendEra era);
  void Forget(const std::string& instance_id);

 private:
  Mutex mutex_;
  std::unordered_map<std::string, BackendEra> eras_ ABSL_GUARDED_BY(mutex_);
};

// The probe: a 2026-07-28 server/discover.
nlohmann::json DiscoverProbe();
// Whether the probe's answer (HTTP status, messages) shows the stateless
// era: a discover result listing a stateless revision, or one of the
// errors only a 2026-07-28 server gives (the transport's "Backward
// Compatibility" rule).
bool AnswersStateless(unsigned status, const std::vector<nlohmann::json>& messages);

enum class BridgeRoute {
  kDiscover,     // answered from initialize
  kRequest,      // sent over a one-request backend session
  kRemoved,      // not a 2026-07-28 method: 404, -32601
  kUnbridgeable, // needs server-to-client messages: -31015
};
BridgeRoute RouteForBridge(std::string_view method);

// A 2026-07-28 request without _meta's protocolVersion or
// clientCapabilities: 400, -32602 (as the revision says).
std::optional<ErrorReply> MissingRequestMeta(const nlohmann::json& message);

// The initialize that opens the backend session for `message`: its
// clientCapabilities (less what needs server-to-client requests, which
// cannot cross the bridge) and clientInfo.
nlohmann::json InitializeFor(const nlohmann::json& message);
// `message` as an initialize-era request: the 2026-07-28 _meta keys
// (io.modelcontextprotocol/...) left out.
nlohmann::json LegacyRequest(const nlohmann::json& message);

// server/discover's result from the backend's initialize result.
nlohmann::json DiscoverResult(const nlohmann::json& initialize_result);
// A backend's answer (result or error) for the client's revision: results
// get resultType "complete", and ttlMs 0 / cacheScope "private" where
// 2026-07-28 asks for caching hints.
nlohmann::json StatelessAnswer(std::string_view method, nlohmann::json answer);

// A server-to-client request among a backend's messages (sampling,
// elicitation, roots), which a 2026-07-28 client cannot be sent.
bool HasServerRequest(const std::vector<nlohmann::json>& messages);

// "2025-11-25 (initialize era)": the backend's revision, for messages.
std::string BackendRevisionsText(std::string_view negotiated);

}  // namespace mcpgw::gateway
