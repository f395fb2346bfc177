#pragma once
// What the access log and the metrics say about an MCP request: its JSON-RPC
// method and, for tools/call, the tool's name. Pure; bounded output (a
// client's method name is cut and reduced to printable ASCII).

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "gateway/http/http_types.h"
#include "gateway/mcp/message_summary.h"

namespace mcpgw::gateway {

struct McpRequestInfo {
  std::string method;  // "tools/call", "batch", "invalid", "GET", ...
  std::string tool;    // tools/call only, else empty
};

McpRequestInfo DescribeMcpRequest(http::verb verb, std::string_view body);
// The same from a POST body already parsed (ParseBodyJson); `parsed_body`
// is not looked at for other verbs.
McpRequestInfo DescribeParsedMcpRequest(http::verb verb,
                                        const nlohmann::json& parsed_body);
// The same from a POST body's summary (SummarizeMessage).
McpRequestInfo DescribeSummarizedMcpRequest(const MessageSummary& summary);

}  // namespace mcpgw::gateway
