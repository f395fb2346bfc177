#include "policies/tenant_claim.h"

#include "common/text.h"

namespace mcpgw::policies {

absl::StatusOr<TenantClaimRule> ParseTenantClaimRule(std::string_view spec) {
  TenantClaimRule rule;
  const auto colon = spec.find(':');
  rule.claim = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) {
    rule.list = true;
    rule.prefix = std::string(spec.substr(colon + 1));
  }
  if (rule.claim.empty()) {
    return absl::InvalidArgumentError(
        "--oidc-tenant-claim needs a claim name, e.g. tenant, org_id or "
        "groups:tenant-");
  }
  return rule;
}

absl::StatusOr<std::string> TenantFromClaims(const nlohmann::json& payload,
                                             const TenantClaimRule& rule) {
  const auto it = payload.find(rule.claim);
  if (it == payload.end()) {
    return absl::PermissionDeniedError(text::Cat(
        "the token has no '", rule.claim,
        "' claim naming its tenant; ask the identity provider's "
        "administrator to map one"));
  }
  if (!rule.list) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return absl::PermissionDeniedError(
          text::Cat("the token's '", rule.claim, "' claim is not a tenant id"));
    }
    return it->get<std::string>();
  }
  // A single string is taken as a list of one (some providers flatten).
  const nlohmann::json entries =
      it->is_array() ? *it : nlohmann::json::array({*it});
  std::string found;
  int matches = 0;
  for (const auto& entry : entries) {
    if (!entry.is_string()) continue;
    const auto& value = entry.get_ref<const std::string&>();
    if (value.size() > rule.prefix.size() &&
        value.compare(0, rule.prefix.size(), rule.prefix) == 0) {
      found = value.substr(rule.prefix.size());
      ++matches;
    }
  }
  if (matches == 0) {
    return absl::PermissionDeniedError(
        text::Cat("no entry of the token's '", rule.claim,
                  "' claim starts with '", rule.prefix, "'"));
  }
  if (matches > 1) {
    return absl::PermissionDeniedError(
        text::Cat("several entries of the token's '", rule.claim,
                  "' claim name a tenant; the gateway serves one per token"));
  }
  return found;
}

}  // namespace mcpgw::policies
