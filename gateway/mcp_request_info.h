#pragma once
// What the access log and the metrics say about an MCP request: its JSON-RPC
// method and, for tools/call, the tool's name. Pure; bounded output (a
// client's method name is cut and reduced to printable ASCII).

#include <string>
#include <string_view>

#include "gateway/http_types.h"

namespace mcpgw::gateway {

struct McpRequestInfo {
  std::string method;  // "tools/call", "batch", "invalid", "GET", ...
  std::string tool;    // tools/call only, else empty
};

McpRequestInfo DescribeMcpRequest(http::verb verb, std::string_view body);

}  // namespace mcpgw::gateway
