#include "gateway/auth/oauth_verifier.h"

#include <spdlog/spdlog.h>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

using policies::Refusal;
using policies::TokenProblem;
namespace rpc_code = policies::rpc_code;

Refusal InvalidToken(std::string description) {
  return Refusal{401, rpc_code::kUnauthorized, std::move(description),
                 "invalid_token"};
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) out += out.empty() ? scope : " " + scope;
  return out;
}

}  // namespace

OAuthVerifier::OAuthVerifier(
    std::vector<std::unique_ptr<OidcIssuer>> issuers,
    OAuthVerifierOptions options, const common::Clock& clock)
    : issuers_(std::move(issuers)),
      options_(std::move(options)),
      clock_(clock) {}

std::vector<absl::Status> OAuthVerifier::RefreshAll() {
  std::vector<absl::Status> failures;
  for (const auto& issuer : issuers_) {
    if (auto status = issuer->Refresh(); !status.ok()) {
      failures.push_back(status);
    }
  }
  return failures;
}

OidcIssuer* OAuthVerifier::IssuerOf(std::string_view token) const {
  const std::string claimed_issuer = policies::UnverifiedIssuer(token);
  for (const auto& candidate : issuers_) {
    if (candidate->issuer() == claimed_issuer) return candidate.get();
  }
  return nullptr;
}

bool OAuthVerifier::KeysMissingFor(std::string_view token) const {
  OidcIssuer* issuer = IssuerOf(token);
  return issuer != nullptr && issuer->LacksKeyFor(policies::UnverifiedKeyId(token));
}

void OAuthVerifier::FetchKeysFor(std::string_view token) const {
  if (OidcIssuer* issuer = IssuerOf(token)) issuer->RefetchForUnknownKey();
}

bool OAuthVerifier::ClaimKeyRefresh() const {
  if (refreshing_.load()) return false;
  for (const auto& issuer : issuers_) {
    if (issuer->StaleRefreshDue()) return !refreshing_.exchange(true);
  }
  return false;
}

void OAuthVerifier::RefreshStaleKeys() const {
  for (const auto& issuer : issuers_) issuer->Keys();  // fetches the stale
  refreshing_ = false;
}

std::variant<policies::OAuthIdentity, Refusal> OAuthVerifier::Verify(
    std::string_view token, std::string_view resource) const {
  OidcIssuer* issuer = IssuerOf(token);
  if (issuer == nullptr) {
    const std::string claimed_issuer = policies::UnverifiedIssuer(token);
    return InvalidToken(
        claimed_issuer.empty()
            ? "the access token is not a JWT naming its issuer (iss)"
            : "the token was issued by an issuer this gateway does not "
              "trust (iss)");
  }
  policies::TokenRules rules;
  rules.issuer = issuer->issuer();
  rules.audiences = options_.audiences;
  rules.audiences.emplace_back(resource);
  rules.required_scopes = options_.required_scopes;
  rules.clock_skew = options_.clock_skew;

  // The cached keys only: the caller fetched what was missing first
  // (KeysMissingFor, FetchKeysFor), off its I/O thread.
  auto check =
      policies::VerifyAccessToken(token, *issuer->CachedKeys(), rules, clock_.WallNow());
  if (auto* error = std::get_if<policies::TokenError>(&check)) {
    spdlog::debug("OAuth token refused: {}", error->description);
    if (error->problem == TokenProblem::kInsufficientScope) {
      return Refusal{403, rpc_code::kForbidden, error->description,
                     "insufficient_scope", JoinScopes(options_.required_scopes)};
    }
    return InvalidToken(error->description);
  }
  auto& claims = std::get<policies::AccessTokenClaims>(check);
  auto tenant = policies::TenantFromClaims(claims.payload, options_.tenant_claim);
  if (!tenant.ok()) {
    return Refusal{403, rpc_code::kForbidden, std::string(tenant.status().message())};
  }
  return policies::OAuthIdentity{claims.issuer, claims.subject,
                                 *std::move(tenant), std::move(claims.scopes)};
}

}  // namespace mcpgw::gateway
