#pragma once
// --oidc-tenant-claim: which claim of a verified access token names the
// tenant. A pure decision.
//   "tenant", "org_id"      a string claim holding the tenant id
//   "groups:tenant-"        an array claim (Keycloak groups, roles...): the
//                           one entry starting with the prefix, without it
//                           ("/tenant-" matches Keycloak's full group paths)

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace mcpgw::policies {

struct TenantClaimRule {
  std::string claim;
  // Set: the claim is an array and its entry with this prefix is the tenant.
  std::string prefix;
  bool list = false;
};

// InvalidArgument names what is wrong with the flag's value.
absl::StatusOr<TenantClaimRule> ParseTenantClaimRule(std::string_view spec);

// The tenant id the claims name; PermissionDenied with a message a client
// may see (the claim's name, never its other values) when none or several.
absl::StatusOr<std::string> TenantFromClaims(const nlohmann::json& payload,
                                             const TenantClaimRule& rule);

}  // namespace mcpgw::policies
