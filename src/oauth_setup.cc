#include "src/oauth_setup.h"

#include <spdlog/spdlog.h>

namespace mcpgw {
namespace {

// Discovery and key documents come from a provider close by: a provider
// slower than this is treated as down (its cached keys stay in use).
constexpr std::chrono::milliseconds kFetchTimeout{5'000};

}  // namespace

std::unique_ptr<gateway::OAuthVerifier> MakeOAuthVerifier(
    const OAuthConfig& config, const common::Clock& clock) {
  std::vector<std::unique_ptr<gateway::OidcIssuer>> issuers;
  for (const auto& url : config.issuers) {
    issuers.push_back(std::make_unique<gateway::OidcIssuer>(
        url,
        gateway::OidcIssuerOptions{.min_refetch_interval = config.jwks_min_refetch,
                                   .max_key_age = config.jwks_max_age},
        gateway::CurlHttpGet(kFetchTimeout), clock));
  }
  auto verifier = std::make_unique<gateway::OAuthVerifier>(
      std::move(issuers),
      gateway::OAuthVerifierOptions{.audiences = config.audiences,
                                    .required_scopes = config.required_scopes,
                                    .tenant_claim = config.tenant_claim_rule,
                                    .clock_skew = config.clock_skew},
      clock);
  for (const auto& failure : verifier->RefreshAll()) {
    spdlog::warn("OAuth: {} (retried when a token of it comes)",
                 std::string(failure.message()));
  }
  return verifier;
}

gateway::OAuthResource OAuthResourceFrom(const OAuthConfig& config) {
  return {.public_url = config.public_url,
          .trust_forwarded = config.trust_forwarded,
          .authorization_servers = config.issuers,
          .scopes_supported = config.scopes_supported,
          .required_scopes = config.required_scopes};
}

}  // namespace mcpgw
