#pragma once
// Opens what tenants and policies need at start-up: the DSN rules, the
// credentials key (file, environment or a generated file), the tenant
// registry in the state directory, the seed file, and the DSN API key.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "gateway/http/request_guard.h"
#include "policies/dsn_rules.h"
#include "policies/tenant_registry.h"
#include "src/config.h"

namespace mcpgw {

struct TenantSetup {
  policies::DsnPolicy rules;
  std::unique_ptr<policies::TenantRegistry> registry;
  std::string dsn_api_key;  // secret; empty: none needed
};

// `clock` (which outlives the registry) times the test-only write gate.
absl::StatusOr<TenantSetup> OpenTenants(const Config& config,
                                        const common::Clock& clock);

gateway::GuardOptions GuardOptionsFrom(const Config& config);

}  // namespace mcpgw
