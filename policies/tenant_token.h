#pragma once
// Tenant bearer tokens (`Authorization: Bearer mgw_...`): how one is made,
// and the one form in which the gateway keeps and compares them, the
// lower-case hex SHA-256 of the token. The registry stores only that hash
// (SQLite), a tokens Secret holds only that hash (Kubernetes), and a
// request's token is looked up by it: TenantRegistry::FindByToken
// (policies/tenant_registry.cc), KubeTenantDirectory::FindByToken
// (runtime/kube_tenants.cc), both reached from ResolveTarget
// (policies/target.cc).

#include <string>
#include <string_view>

namespace mcpgw::policies {

// A new token: "mgw_" and 32 random bytes in hex. Shown once, when issued.
std::string NewTenantToken();

// What is stored for a token and what a request's token is looked up by.
std::string TenantTokenHash(std::string_view token);

}  // namespace mcpgw::policies
