#include "policies/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "policies/dsn_rules.h"
#include "policies/instance_key.h"
#include "policies/resolved_dsn_cache.h"

namespace mcpgw::policies {
namespace {

// Distinct DSNs whose parse is kept (resolved_dsn_cache.h).
constexpr std::size_t kResolvedDsnCacheEntries = 256;

// True when the query carries something that looks like a DSN: a `dsn`
// parameter, or any value with URL credentials. Secrets in URLs end up in
// access logs and browser histories, so they are refused outright.
bool QueryCarriesDsn(std::string_view query) {
  if (query.empty()) return false;
  // The view points into `with_mark`, which must outlive it.
  const std::string with_mark = "?" + std::string(query);
  auto reference = boost::urls::parse_relative_ref(with_mark);
  if (!reference) {
    return text::Contains(text::Lower(query), "dsn");
  }
  for (auto param : reference->params()) {
    const std::string key = text::Lower(param.key);
    if (text::Contains(key, "dsn")) return true;
    if (text::Contains(param.value, "://")) return true;
  }
  return false;
}

const DsnPolicy& DefaultDsnPolicy() {
  static const DsnPolicy policy = *DsnPolicy::Create({});
  return policy;
}

bool SameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}


TargetDecision ResolveDsn(std::string_view dsn_text, std::string_view key_secret,
                          const DsnPolicy& rules) {
  if (auto refused = rules.CheckText(dsn_text)) return *refused;
  // The parse and the key are reused across requests; the rules (above and
  // below) apply every time, so a changed rule set holds at once.
  static ResolvedDsnCache cache(kResolvedDsnCacheEntries);
  auto resolved = cache.Resolve(dsn_text, key_secret);
  if (!resolved.ok()) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("invalid ", kDsnHeader, " header: ",
                             resolved.status().message())};
  }
  if (auto refused = rules.CheckDsn(resolved->dsn)) return *refused;
  Target target;
  target.key = std::move(resolved->key);
  target.dsn = std::move(resolved->dsn);
  return target;
}

// The target of a known tenant: one instance serving all its sources.
TargetDecision TenantTarget(TenantView tenant, std::string_view key_secret) {
  if (tenant.sources.empty()) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("tenant ", tenant.id,
                             " has no databases yet; add a source with the "
                             "admin API")};
  }
  Target target;
  target.key = TenantInstanceKey(key_secret, tenant.id, tenant.revision);
  target.dsn.redacted = text::Cat("tenant ", tenant.id, " rev ",
                                  tenant.revision, " (",
                                  tenant.sources.size(), " sources)");
  for (const auto& source : tenant.sources) {
    target.dsn.secrets.insert(target.dsn.secrets.end(),
                              source.dsn.secrets.begin(),
                              source.dsn.secrets.end());
  }
  target.tenant = std::move(tenant);
  return target;
}

TargetDecision ResolveTenant(std::string_view token, std::string_view key_secret,
                             const TargetPolicy& policy) {
  std::optional<TenantView> tenant;
  if (policy.tenants != nullptr) tenant = policy.tenants->FindByToken(token);
  if (!tenant) {
    return Refusal{401, rpc_code::kUnauthorized,
                   "unknown or revoked tenant token"};
  }
  return TenantTarget(std::move(*tenant), key_secret);
}

// The OAuth listener: an access token of a configured issuer, naming a
// tenant of the registry, and nothing else. A DSN header is never taken in
// place of a token.
TargetDecision ResolveOAuth(const RequestCredentials& credentials,
                            std::optional<std::string_view> bearer,
                            std::string_view key_secret,
                            const TargetPolicy& policy) {
  const bool has_dsn = credentials.dsn_header.has_value();
  if (!credentials.authorization) {
    return Refusal{401, rpc_code::kMissingCredentials,
                   has_dsn ? text::Cat("this endpoint takes OAuth access "
                                       "tokens only, not the ",
                                       kDsnHeader,
                                       " header: log in with the "
                                       "authorization server named in the "
                                       "resource metadata")
                           : std::string("no access token: log in with the "
                                         "authorization server named in the "
                                         "resource metadata "
                                         "(WWW-Authenticate)")};
  }
  if (!bearer) {
    return Refusal{401, rpc_code::kUnauthorized,
                   "the Authorization header must be 'Bearer <access token>'",
                   "invalid_request"};
  }
  if (has_dsn) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("the ", kDsnHeader,
                             " header is not accepted with an OAuth access "
                             "token: the token's tenant decides the "
                             "databases"),
                   "invalid_request"};
  }
  auto verified = policy.oauth->Verify(*bearer, credentials.resource_url);
  if (auto* refusal = std::get_if<Refusal>(&verified)) return *refusal;
  auto& identity = std::get<OAuthIdentity>(verified);
  std::optional<TenantView> tenant;
  if (policy.tenants != nullptr) tenant = policy.tenants->FindById(identity.tenant_id);
  if (!tenant) {
    return Refusal{403, rpc_code::kForbidden,
                   text::Cat("the token's tenant '",
                             identity.tenant_id.substr(0, 64),
                             "' is not served by this gateway")};
  }
  if (tenant->options.oauth_scope &&
      std::find(identity.scopes.begin(), identity.scopes.end(),
                *tenant->options.oauth_scope) == identity.scopes.end()) {
    return Refusal{403, rpc_code::kForbidden,
                   text::Cat("tenant ", tenant->id, " needs the scope '",
                             *tenant->options.oauth_scope, "'"),
                   "insufficient_scope", *tenant->options.oauth_scope};
  }
  auto decision = TenantTarget(std::move(*tenant), key_secret);
  if (auto* target = std::get_if<Target>(&decision)) {
    // Sessions belong to one user: the issuer and subject join the key.
    target->session_key = DeriveInstanceKey(
        key_secret, text::Cat("oauth-session\n", target->key, "\n",
                              identity.issuer, "\n", identity.subject));
  }
  return decision;
}

}  // namespace

std::optional<std::string_view> BearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "bearer ";
  std::string_view value = text::StripWhitespace(header);
  if (value.size() <= kBearer.size() ||
      !text::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return std::nullopt;
  }
  value = text::StripWhitespace(value.substr(kBearer.size()));
  if (value.empty()) return std::nullopt;
  return value;
}

std::string TenantInstanceKey(std::string_view key_secret,
                              std::string_view tenant_id,
                              std::int64_t revision) {
  return DeriveInstanceKey(key_secret,
                           text::Cat("tenant\n", tenant_id, "\n", revision));
}

TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret) {
  return ResolveTarget(credentials, key_secret, TargetPolicy{});
}

TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret,
                             const TargetPolicy& policy) {
  if (QueryCarriesDsn(credentials.query)) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("a DSN in the URL query string is refused "
                                "(it would end up in logs); send it in the ",
                                kDsnHeader, " header")};
  }
  if (credentials.dsn_header_count > 1) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("more than one ", kDsnHeader,
                             " header; send exactly one")};
  }
  if (credentials.authorization_count > 1) {
    return Refusal{400, rpc_code::kBadTarget,
                   "more than one Authorization header; send exactly one"};
  }
  std::optional<std::string_view> bearer;
  if (credentials.authorization.has_value()) {
    bearer = BearerToken(*credentials.authorization);
    // The OAuth listener says so with its own error code (below).
    if (!bearer && policy.oauth == nullptr) {
      return Refusal{401, rpc_code::kUnauthorized,
                     "the Authorization header must be 'Bearer <token>'"};
    }
  }
  if (policy.oauth != nullptr) {
    return ResolveOAuth(credentials, bearer, key_secret, policy);
  }
  const bool has_dsn = credentials.dsn_header.has_value() &&
                       !text::StripWhitespace(*credentials.dsn_header).empty();
  const DsnPolicy& rules =
      policy.dsn_rules != nullptr ? *policy.dsn_rules : DefaultDsnPolicy();

  if (has_dsn) {
    if (!policy.allow_dsn_requests) {
      return Refusal{403, rpc_code::kForbidden,
                     text::Cat("refused by rule allow-dsn-requests: this "
                               "gateway serves tenant tokens only; drop the ",
                               kDsnHeader,
                               " header and send Authorization: Bearer "
                               "<tenant token>")};
    }
    const bool key_matches = bearer && !policy.dsn_api_key.empty() &&
                             SameSecret(*bearer, policy.dsn_api_key);
    if (bearer && !key_matches) {
      return Refusal{400, rpc_code::kBadTarget,
                     text::Cat("the request carries both a bearer token and ",
                               "an ", kDsnHeader,
                               " header; send a tenant token or a DSN, not "
                               "both")};
    }
    if (!policy.dsn_api_key.empty() && !key_matches) {
      return Refusal{401, rpc_code::kUnauthorized,
                     text::Cat("refused by rule dsn-api-key: a request with ",
                               kDsnHeader,
                               " needs the gateway API key as Authorization: "
                               "Bearer <key>")};
    }
    return ResolveDsn(text::StripWhitespace(*credentials.dsn_header),
                      key_secret, rules);
  }
  if (bearer) return ResolveTenant(*bearer, key_secret, policy);
  return Refusal{401, rpc_code::kMissingCredentials,
                 text::Cat("no database credentials: send Authorization: "
                           "Bearer <tenant token>, or the database DSN in "
                           "the ",
                           kDsnHeader, " header")};
}

}  // namespace mcpgw::policies
