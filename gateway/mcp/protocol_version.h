#pragma once
// The MCP protocol revisions the gateway speaks, and what each allows.
// A pure decision.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mcpgw::gateway {

inline constexpr std::string_view kProtocolVersionHeader = "MCP-Protocol-Version";

// What a server assumes when a Streamable HTTP request carries no
// MCP-Protocol-Version header (2025-06-18, "Protocol Version Header").
inline constexpr std::string_view kAssumedProtocolVersion = "2025-03-26";

// Oldest first.
std::span<const std::string_view> SupportedProtocolVersions();

bool IsSupportedProtocolVersion(std::string_view version);

// The supported revisions of the stateless era (2026-07-28 on): what
// server/discover and an UnsupportedProtocolVersionError list.
std::span<const std::string_view> StatelessProtocolVersions();

// "a, b, c": every supported revision, for messages.
std::string SupportedVersionsList();

// JSON-RPC batches: allowed by 2024-11-05 and 2025-03-26, removed in
// 2025-06-18.
bool AllowsBatches(std::string_view version);

// 2026-07-28 dropped initialize, Mcp-Session-Id and the GET stream.
bool IsStatelessRevision(std::string_view version);

// The revision a request speaks: its header, else the one its session
// negotiated, else the assumed one.
std::string_view EffectiveProtocolVersion(
    std::optional<std::string_view> header,
    std::string_view session_version);

}  // namespace mcpgw::gateway
