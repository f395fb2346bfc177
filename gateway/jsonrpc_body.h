#pragma once
// Whether a POST /mcp body is JSON-RPC at all, decided before an instance is
// started or reached. DBHub answers a body that is not JSON with an HTML
// error page (its web framework's), which an MCP client cannot read; the
// gateway answers such bodies itself, as JSON-RPC errors.

#include <optional>
#include <string_view>

#include "gateway/jsonrpc_error.h"

namespace mcpgw::gateway {

inline constexpr int kJsonRpcParseError = -32700;

// nullopt when `body` is a JSON object or a non-empty array of objects
// (a message or a batch; what is in them is the instance's business).
// Otherwise a 400 with -32700 (not JSON, including invalid UTF-8) or
// -32600 (JSON, but not a message: null, a number, [], [1], ...).
std::optional<ErrorReply> CheckJsonRpcBody(std::string_view body);

}  // namespace mcpgw::gateway
