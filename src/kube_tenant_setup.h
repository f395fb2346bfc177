#pragma once
// Kubernetes mode's tenant registry (--tenants-from=kubernetes): the
// watches of Tenant and Database resources, wired to the gateway's DSN
// rules, its instance keys (status.instance) and the drain of a retired
// revision, and the admin API's read-only view of them.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "gateway/admin/tenant_admin.h"
#include "policies/dsn_rules.h"
#include "runtime/kube_tenants.h"
#include "src/config.h"

namespace mcpgw {

// Who drains a retired revision; set once the admin API exists, cleared
// before it goes (the watches outlive it).
class RevisionDrainer {
 public:
  void Set(gateway::TenantAdmin* admin) {
    MutexLock lock(mutex_);
    admin_ = admin;
  }
  void Drain(const std::string& tenant, std::int64_t revision) {
    MutexLock lock(mutex_);
    if (admin_ != nullptr) admin_->DrainRevision(tenant, revision);
  }

 private:
  // Held while a drain runs, so that Set(nullptr) waits for it.
  Mutex mutex_;
  gateway::TenantAdmin* admin_ ABSL_GUARDED_BY(mutex_) = nullptr;
};

// Starts the watches, checks the RBAC they need (fatal when denied; an API
// server that does not answer is only logged) and waits a little for the
// first lists.
absl::StatusOr<std::unique_ptr<runtime::KubeTenantDirectory>> OpenKubeTenants(
    const Config& config, const policies::DsnPolicy& rules,
    const std::string& key_secret, RevisionDrainer& drainer);

// The admin API's view of them.
gateway::DeclaredTenants DeclaredTenantsOf(const runtime::KubeTenantDirectory& tenants,
                                           const std::string& namespace_name);

}  // namespace mcpgw
