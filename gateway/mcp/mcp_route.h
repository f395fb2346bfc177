#pragma once
// What the MCP listener does with a request, decided before any I/O.

#include <string_view>
#include <variant>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "gateway/auth/protected_resource.h"
#include "gateway/http/http_types.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "policies/origin.h"
#include "policies/target.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kMcpPath = "/mcp";
// The 2024-11-05 HTTP+SSE transport, served by the gateway itself.
inline constexpr std::string_view kLegacySsePath = "/sse";
inline constexpr std::string_view kLegacyMessagesPath = "/messages";

enum class McpEndpoint {
  kStreamableHttp,  // /mcp: POST, GET, DELETE
  kLegacyStream,    // GET /sse
  kLegacyMessage,   // POST /messages?sessionId=...
};

struct HealthCheck {};
// The OAuth listener's own answers: its resource metadata (RFC 9728), and
// CORS preflights of allowed browser origins.
struct OwnAnswer {
  http::status status = http::status::ok;
  nlohmann::json body;  // null: no body
  std::vector<std::pair<std::string, std::string>> headers;
};
struct ProxyTo {
  policies::Target target;
  McpEndpoint endpoint = McpEndpoint::kStreamableHttp;
  // The legacy transport's session, from /messages?sessionId=.
  std::string legacy_session;
};
using McpRoute = std::variant<ErrorReply, HealthCheck, ProxyTo, OwnAnswer>;

// Host and Origin are checked before anything else is looked at (DNS
// rebinding, cross-site requests), credentials next.
// `policy`: tenant tokens, DSN rules and the DSN-request settings (issue 6).
McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::OriginPolicy& origin_policy = {},
                        const policies::TargetPolicy& policy = {});
McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::TargetPolicy& policy);
// The same with a POST body already read (ReadPostBody), so that the
// request path reads it once; null: read here when needed.
// `oauth`: set on the OAuth listener (policy.oauth set too): the resource
// metadata is served, and refusals carry the Bearer challenge.
McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::OriginPolicy& origin_policy,
                        const policies::TargetPolicy& policy,
                        const PostBody* post_body,
                        const OAuthResource* oauth = nullptr);

// CORS headers for an answer to an allowed browser origin on the OAuth
// listener (none without an Origin header).
std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const Request& request);

// How a failure to obtain an instance is told to the client.
ErrorReply AcquireFailureReply(const absl::Status& status);

}  // namespace mcpgw::gateway
