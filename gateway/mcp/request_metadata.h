#pragma once
// The request metadata of MCP 2026-07-28 (Streamable HTTP, "Request
// Metadata" and "Server Validation"): the headers that mirror the body
// (MCP-Protocol-Version, Mcp-Method, Mcp-Name) must be there and match it,
// else 400 with HeaderMismatch (-32020); a version the gateway does not
// speak gets the error shape of the client's era. Pure decisions: the
// gateway checks what it can before any instance is started, whatever the
// backend would say, so that a backend of an older era (bridged) is held to
// the same rules as DBHub.

#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "gateway/http/http_types.h"
#include "gateway/mcp/jsonrpc_error.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kMcpMethodHeader = "Mcp-Method";
inline constexpr std::string_view kMcpNameHeader = "Mcp-Name";
// Where a 2026-07-28 request names its revision inside the body.
inline constexpr std::string_view kMetaProtocolVersion =
    "io.modelcontextprotocol/protocolVersion";

// The revision a single message names in params._meta, or empty.
std::string_view MetaProtocolVersion(const nlohmann::json& message);

// The answer to a request whose MCP-Protocol-Version (`requested`) the
// gateway does not speak. A client of the stateless era (its body carries
// the _meta version, or `requested` is not a date before 2026-07-28) gets
// 2026-07-28's UnsupportedProtocolVersionError: -32022 with data.supported
// (the stateless revisions the gateway serves, as server/discover lists
// them) and data.requested; an older client gets the gateway's -31013.
// Both are 400 and their message lists every revision.
ErrorReply UnsupportedVersionReply(std::string_view requested,
                                   const nlohmann::json& body);

// For a POST whose effective revision is stateless (2026-07-28 on), or that
// carries a _meta version without the header: the HeaderMismatch refusal,
// if the headers are missing, malformed or disagree with `body` (a single
// JSON-RPC message; anything else is left to the other checks). Header
// values are compared after trimming spaces and tabs; Mcp-Name may be
// Base64-encoded (`=?base64?...?=`).
std::optional<ErrorReply> CheckRequestMetadata(const Request& request,
                                               const nlohmann::json& body);

}  // namespace mcpgw::gateway
