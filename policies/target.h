#pragma once
// Turns what a request carries into the Target it may reach, or a refusal.
// A pure decision: no sockets, no files, no clock.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "policies/dsn.h"

namespace mcpgw::policies {

inline constexpr std::string_view kDsnHeader = "X-DBHub-DSN";

// JSON-RPC error codes the gateway uses in its own error objects
// (the -32000..-32099 range is reserved for implementation-defined errors).
namespace rpc_code {
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMissingCredentials = -32001;
inline constexpr int kBadTarget = -32002;
inline constexpr int kBackendStartFailed = -32003;
inline constexpr int kNoCapacity = -32004;
inline constexpr int kBackendFailed = -32005;
inline constexpr int kShuttingDown = -32006;
inline constexpr int kForbidden = -32007;
inline constexpr int kUnknownSession = -32008;
inline constexpr int kUnsupportedProtocolVersion = -32009;
inline constexpr int kStreamGone = -32010;
inline constexpr int kParseError = -32700;
}  // namespace rpc_code

struct Target {
  std::string key;  // HMAC of the canonical DSN
  Dsn dsn;
};

struct Refusal {
  int http_status;
  int rpc_code;
  std::string message;
};

struct RequestCredentials {
  std::optional<std::string_view> dsn_header;
  // How many X-DBHub-DSN headers the request carried: more than one is
  // ambiguous and refused.
  int dsn_header_count = 0;
  // The request-target's query string (without '?'), possibly empty.
  std::string_view query;
};

using TargetDecision = std::variant<Target, Refusal>;

TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret);

}  // namespace mcpgw::policies
