#pragma once
// Flags of the OAuth listener (docs/oauth.md): which OpenID providers'
// access tokens it accepts and how a token names its tenant.

#include <chrono>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "policies/tenant_claim.h"

namespace mcpgw {

struct OAuthConfig {
  std::string listen;  // empty: no OAuth listener
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;  // besides the resource URL
  std::vector<std::string> required_scopes;
  std::vector<std::string> scopes_supported;
  std::string tenant_claim = "tenant";
  policies::TenantClaimRule tenant_claim_rule;
  std::chrono::seconds clock_skew{60};
  std::chrono::milliseconds jwks_min_refetch{30'000};
  std::chrono::milliseconds jwks_max_age{600'000};
  std::string public_url;  // scheme://host[:port][/prefix]; empty: per request
  bool trust_forwarded = false;

  bool enabled() const { return !listen.empty(); }
};

class OAuthOptions {
 public:
  // The flags, bound to this object: keep it alive until Finish.
  boost::program_options::options_description Describe();
  absl::Status Finish(OAuthConfig& out);

 private:
  OAuthConfig parsed_;
  std::string clock_skew_ = "60s";
  std::string min_refetch_ = "30s";
  std::string max_age_ = "10m";
};

nlohmann::json OAuthConfigJson(const OAuthConfig& config);

}  // namespace mcpgw
