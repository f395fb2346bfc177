#pragma once
// What the MCP listener does with a request, decided before any I/O.

#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "gateway/http_types.h"
#include "gateway/jsonrpc_error.h"
#include "policies/target.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kMcpPath = "/mcp";

struct HealthCheck {};
struct ProxyTo {
  policies::Target target;
};
using McpRoute = std::variant<ErrorReply, HealthCheck, ProxyTo>;

McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret);
// With tenant tokens, DSN rules and the DSN-request settings (issue 6).
McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::TargetPolicy& policy);

// How a failure to obtain an instance is told to the client.
ErrorReply AcquireFailureReply(const absl::Status& status);

}  // namespace mcpgw::gateway
