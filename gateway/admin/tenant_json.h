#pragma once
// How the admin API shows a tenant: its sources with their DSNs redacted,
// its tokens without their hashes. Presentation only; the registry
// (policies/tenant_registry.h) holds the records.

#include <nlohmann/json.hpp>

#include "policies/tenant_registry.h"

namespace mcpgw::gateway {

nlohmann::json TenantToJson(const policies::TenantRecord& tenant);

}  // namespace mcpgw::gateway
