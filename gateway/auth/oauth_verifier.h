#pragma once
// The gateway's AccessTokenVerifier: access tokens of the configured OpenID
// providers (--oidc-issuer), checked against their cached keys
// (oidc_issuer.h) and the token rules (policies/access_token.h), and mapped
// to a tenant by --oidc-tenant-claim. Thread-safe.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/auth/oidc_issuer.h"
#include "policies/target.h"
#include "policies/tenant_claim.h"

namespace mcpgw::gateway {

struct OAuthVerifierOptions {
  // Besides the resource URL the client addressed: audiences accepted (for
  // providers that put their client id in `aud`).
  std::vector<std::string> audiences;
  std::vector<std::string> required_scopes;
  policies::TenantClaimRule tenant_claim{"tenant", "", false};
  std::chrono::seconds clock_skew{60};
};

class OAuthVerifier final : public policies::AccessTokenVerifier {
 public:
  OAuthVerifier(std::vector<std::unique_ptr<OidcIssuer>> issuers,
                OAuthVerifierOptions options, const common::Clock& clock);

  std::variant<policies::OAuthIdentity, policies::Refusal> Verify(
      std::string_view token, std::string_view resource) const override;
  bool KeysMissingFor(std::string_view token) const override;
  void FetchKeysFor(std::string_view token) const override;
  bool ClaimKeyRefresh() const override;
  void RefreshStaleKeys() const override;

  // Fetches every issuer's keys; the failures, for a warning at start.
  std::vector<absl::Status> RefreshAll();
  const std::vector<std::unique_ptr<OidcIssuer>>& issuers() const {
    return issuers_;
  }

 private:
  // The configured issuer the token names (unverified `iss`), if any.
  OidcIssuer* IssuerOf(std::string_view token) const;

  std::vector<std::unique_ptr<OidcIssuer>> issuers_;
  // A stale-key refresh is queued or running: one is enough.
  mutable std::atomic<bool> refreshing_{false};
  const OAuthVerifierOptions options_;
  // Token expiry is checked against its wall time.
  const common::Clock& clock_;
};

}  // namespace mcpgw::gateway
