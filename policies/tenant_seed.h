#pragma once
// Seeds the tenant registry from a TOML file at start-up (--tenants-file),
// for declarative setups:
//
//   [[tenants]]
//   id = "acme"
//   readonly = true
//   max_rows = 500
//   rate_per_second = 5
//   token_sha256 = ["<sha256 of a token, hex>"]
//   [[tenants.sources]]
//   id = "sales"
//   dsn = "${ACME_SALES_DSN}"   # from the gateway's environment
//
// Tenants and sources are created or updated (an unchanged source keeps
// the tenant's revision); nothing the file does not name is removed.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "policies/dsn_rules.h"
#include "policies/tenant_registry.h"

namespace mcpgw::policies {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

struct SeedResult {
  int tenants = 0;
  int sources = 0;
  int tokens = 0;
};

// Errors name the file, the tenant and the field, never a DSN.
absl::StatusOr<SeedResult> SeedTenants(TenantRegistry& registry,
                                       const std::filesystem::path& file,
                                       const DsnPolicy& rules,
                                       const EnvLookup& env);

// Replaces every ${NAME} by env(NAME); NotFound names the first unset one.
absl::StatusOr<std::string> InterpolateEnv(std::string_view text,
                                           const EnvLookup& env);

}  // namespace mcpgw::policies
