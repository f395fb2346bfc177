#pragma once
// The admin API for tenants (under /admin/tenants, behind the admin token):
//   GET    /admin/tenants                         list
//   POST   /admin/tenants                         {"id", "options"?, "sources"?}
//   GET    /admin/tenants/{id}
//   PATCH  /admin/tenants/{id}                    {"options": {...}}
//   DELETE /admin/tenants/{id}
//   PUT    /admin/tenants/{id}/sources/{source}   {"dsn"}
//   DELETE /admin/tenants/{id}/sources/{source}
//   POST   /admin/tenants/{id}/tokens             {"label"?} → the token, once
//   DELETE /admin/tenants/{id}/tokens/{token id}
// A change of sources or options gives the tenant a new revision: new
// requests get a new instance, and the old one is drained.
// In Kubernetes mode tenants are declared resources: GET lists them, and
// every write answers 409 saying they are managed with kubectl.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mutex.h"
#include "gateway/admin/admin_route.h"
#include "gateway/http/http_types.h"
#include "policies/dsn_rules.h"
#include "policies/tenant_registry.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

struct TenantAdminAnswer {
  http::status status = http::status::ok;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Why a write's JSON body cannot be read: not an object, or a field the
// tenant API reads (id, dsn, label: strings; options: an object; sources:
// an array of {"id", "dsn"} objects) with another type. nullopt when fine.
std::optional<std::string> TenantBodyProblem(const nlohmann::json& body);

// Tenants declared elsewhere (Kubernetes resources): shown here, changed
// there.
struct DeclaredTenants {
  std::string managed_with;  // the 409's message for any write
  std::function<nlohmann::json()> list;
  std::function<std::optional<nlohmann::json>(std::string_view)> get;
  std::function<std::vector<std::pair<std::string, std::int64_t>>()> revisions;
};

class TenantAdmin {
 public:
  TenantAdmin(policies::TenantRegistry& registry, runtime::InstancePoolApi& pool,
              const policies::DsnPolicy& rules, std::string key_secret)
      : registry_(&registry),
        pool_(pool),
        rules_(rules),
        key_secret_(std::move(key_secret)) {}
  TenantAdmin(DeclaredTenants declared, runtime::InstancePoolApi& pool,
              const policies::DsnPolicy& rules, std::string key_secret)
      : registry_(nullptr),
        declared_(std::move(declared)),
        pool_(pool),
        rules_(rules),
        key_secret_(std::move(key_secret)) {}

  // A call DecideAdminRoute made of an /admin/tenants request (its path
  // and method already checked), with the request's body.
  TenantAdminAnswer Handle(const TenantCall& call, std::string_view body);

  // The tenant an instance with this key prefix serves (its current
  // revision, or an older one this admin API drained), if any.
  std::optional<std::string> TenantOfKeyPrefix(std::string_view prefix) const;

  // Which tenant and revision each key prefix serves: every tenant's
  // current revision and the older ones this admin API drained. One look at
  // the registry for a whole instance list.
  struct TenantRevision {
    std::string tenant;
    std::int64_t revision = 0;
  };
  std::map<std::string, TenantRevision, std::less<>> KeyPrefixTenants() const;

  // Drains every instance of `tenant` at `revision` (after an edit or a
  // delete). Returns how many.
  int DrainRevision(std::string_view tenant, std::int64_t revision);

 private:
  // Every tenant's current revision (the registry's, or the declared ones).
  std::vector<std::pair<std::string, std::int64_t>> CurrentRevisions() const;
  TenantAdminAnswer HandleDeclared(const TenantCall& call) const;
  TenantAdminAnswer Create(const nlohmann::json& body);
  // Checks and stores one source; an error answer on failure.
  std::optional<TenantAdminAnswer> PutSource(const std::string& tenant,
                                             const std::string& source,
                                             const nlohmann::json& dsn);

  policies::TenantRegistry* const registry_;  // null: declared tenants
  const DeclaredTenants declared_ = {};
  runtime::InstancePoolApi& pool_;
  const policies::DsnPolicy& rules_;
  const std::string key_secret_;
  mutable Mutex mutex_;
  std::unordered_map<std::string, TenantRevision> drained_prefixes_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::gateway
