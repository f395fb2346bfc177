#pragma once
// Turns what a request carries into the Target it may reach, or a refusal.
// A pure decision: no sockets, no files, no clock.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "policies/dsn.h"
#include "policies/source_connection.h"

namespace mcpgw::policies {

inline constexpr std::string_view kDsnHeader = "X-DBHub-DSN";

// JSON-RPC error codes in the gateway's own error objects. The gateway's
// codes sit outside JSON-RPC's reserved range (-32768..-32000): MCP gives
// meanings to codes inside it (-32002 "resource not found" before
// 2026-07-28, -32020..-32022 from 2026-07-28, -32042 URL elicitation), and
// 2026-07-28 forbids new implementation codes there. Same last two digits as
// the -320xx codes they replaced (docs/protocol.md, "Error codes").
namespace rpc_code {
inline constexpr int kMissingCredentials = -31001;
inline constexpr int kBadTarget = -31002;
inline constexpr int kBackendStartFailed = -31003;
inline constexpr int kNoCapacity = -31004;
inline constexpr int kBackendFailed = -31005;
inline constexpr int kShuttingDown = -31006;
inline constexpr int kForbidden = -31007;
// Tenants and limits (issue 6).
inline constexpr int kUnauthorized = -31008;      // unknown or revoked token
inline constexpr int kRateLimited = -31009;       // 429, Retry-After
inline constexpr int kTenantLimit = -31010;       // per-tenant instance cap
inline constexpr int kInstanceBusy = -31011;      // concurrency queue full
// MCP protocol (issue 3).
inline constexpr int kUnknownSession = -31012;    // 404
// 400, a revision before 2026-07-28 (which defined no code for it).
inline constexpr int kUnsupportedProtocolVersion = -31013;
inline constexpr int kStreamGone = -31014;        // 410, Last-Event-ID
// Not bridgeable to the backend's revision (server-to-client requests).
inline constexpr int kNotBridgeable = -31015;     // 400

// Codes the specifications define, used with their meaning.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;  // 400, a field of params
inline constexpr int kInternalError = -32603;  // 500, a gateway bug
// MCP 2026-07-28 (basic/index "Error codes").
inline constexpr int kHeaderMismatch = -32020;                    // 400
inline constexpr int kMissingRequiredClientCapability = -32021;   // 400
inline constexpr int kUnsupportedProtocolVersionModern = -32022;  // 400, data.supported
}  // namespace rpc_code

// A tenant's settings (registry options). Unset: the gateway's default.
struct TenantOptions {
  bool readonly = false;
  std::optional<int> max_rows;
  std::optional<std::chrono::milliseconds> idle_timeout;
  std::optional<int> max_instances;
  std::optional<double> rate_per_second;
  std::optional<double> rate_burst;
  // OAuth (docs/oauth.md): a scope every access token for this tenant must
  // carry, besides the gateway's --oidc-required-scope.
  std::optional<std::string> oauth_scope;
};

struct TenantSource {
  std::string id;
  Dsn dsn;  // secret (original, canonical)
  // Set for a declared Database (Kubernetes): DBHub connects with these
  // fields and reads the credentials from the Secret they name; `dsn` then
  // holds no secret (type://host:port/database, for the DSN rules and logs).
  std::optional<SourceConnection> connection = {};
};

// What the request path knows of a tenant: everything needed to launch its
// instance. Holds decrypted DSNs: never logged or shown.
struct TenantView {
  std::string id;
  std::int64_t revision = 0;  // grows with every change of sources or options
  TenantOptions options;
  std::vector<TenantSource> sources;
};

// Where tenant tokens are looked up (the registry). Implementations are
// thread-safe.
class TenantDirectory {
 public:
  virtual ~TenantDirectory() = default;
  // nullopt for an unknown or revoked token.
  virtual std::optional<TenantView> FindByToken(std::string_view token) const = 0;
  // The tenant an OAuth token's claim names; nullopt when unknown (and for
  // directories that serve tokens only).
  virtual std::optional<TenantView> FindById(std::string_view /*id*/) const {
    return std::nullopt;
  }
};

struct Target {
  std::string key;  // HMAC of the canonical DSN, or of tenant id + revision
  // A DSN target: the DSN. A tenant target: only `redacted` ("tenant acme
  // rev 3") and `secrets` (of all its sources) are set.
  Dsn dsn;
  std::optional<TenantView> tenant;
  // What sessions are bound to when it is more than the instance: for an
  // OAuth token, the issuer and subject too, so that another user of the
  // same tenant cannot use this user's Mcp-Session-Id. Empty: `key`.
  std::string session_key;

  const std::string& SessionKey() const {
    return session_key.empty() ? key : session_key;
  }
};

struct Refusal {
  int http_status;
  int rpc_code;
  std::string message;
  // On an OAuth-protected endpoint: the RFC 6750 error code for
  // WWW-Authenticate (invalid_token, invalid_request, insufficient_scope);
  // empty when no token was sent.
  std::string oauth_error = {};
  // With insufficient_scope: the scopes the request needs.
  std::string oauth_scope = {};
};

// Who an OAuth access token speaks for, once verified.
struct OAuthIdentity {
  std::string issuer;
  std::string subject;
  std::string tenant_id;  // from the --oidc-tenant-claim
  std::vector<std::string> scopes;
};

// Verifies OAuth access tokens (gateway/auth/oauth_verifier.h: the issuers'
// keys, fetched and cached). Thread-safe.
class AccessTokenVerifier {
 public:
  virtual ~AccessTokenVerifier() = default;
  // The identity, or a 401/403 refusal with its oauth_error set.
  // `resource`: the URL the client addressed (an accepted audience).
  // Verify never fetches: it uses the keys already cached. Fetching blocks
  // (an HTTPS request to the provider), so the caller does it off its I/O
  // thread, before Verify, when one of these says so.
  virtual std::variant<OAuthIdentity, Refusal> Verify(
      std::string_view token, std::string_view resource) const = 0;

  // The cached keys cannot verify `token` (its key is unknown, or no key was
  // ever fetched) and a fetch is allowed now (rate limited). Cheap.
  virtual bool KeysMissingFor(std::string_view /*token*/) const { return false; }
  // Fetches the keys of `token`'s issuer. Blocks.
  virtual void FetchKeysFor(std::string_view /*token*/) const {}
  // Some issuer's keys are older than their maximum age and a fetch is
  // allowed: true once (until RefreshStaleKeys ran), and the caller then
  // runs RefreshStaleKeys, off its I/O thread. Cheap.
  virtual bool ClaimKeyRefresh() const { return false; }
  // Refetches the stale keys. Blocks.
  virtual void RefreshStaleKeys() const {}
};

struct RequestCredentials {
  std::optional<std::string_view> dsn_header;
  // How many X-DBHub-DSN headers the request carried: more than one is
  // ambiguous and refused.
  int dsn_header_count = 0;
  // The request-target's query string (without '?'), possibly empty.
  std::string_view query;
  // The Authorization header (tenant token or gateway API key), if any.
  std::optional<std::string_view> authorization;
  int authorization_count = 0;
  // On the OAuth listener: the absolute URL of the MCP endpoint the client
  // addressed (the token's expected audience).
  std::string_view resource_url;
};

class DsnPolicy;

// What the gateway accepts, beyond a well-formed DSN.
struct TargetPolicy {
  // --allow-dsn-requests: raw-DSN requests at all.
  bool allow_dsn_requests = true;
  // --dsn-api-key-file: when set, a DSN request must carry
  // `Authorization: Bearer <this key>`. Secret.
  std::string dsn_api_key = {};
  const DsnPolicy* dsn_rules = nullptr;      // null: built-in deny list only
  const TenantDirectory* tenants = nullptr;  // null: no tenant tokens
  // Set on the OAuth listener: only access tokens of the configured issuers
  // are accepted there (no DSN header, no tenant token).
  const AccessTokenVerifier* oauth = nullptr;
};

using TargetDecision = std::variant<Target, Refusal>;

// The token of `Authorization: Bearer <token>`; nullopt for another scheme.
std::optional<std::string_view> BearerToken(std::string_view authorization);

TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret);
TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret,
                             const TargetPolicy& policy);

// The instance key of a tenant at one revision: an edit of the tenant gives
// new requests a new instance while the old one drains.
std::string TenantInstanceKey(std::string_view key_secret,
                              std::string_view tenant_id,
                              std::int64_t revision);

}  // namespace mcpgw::policies
