#pragma once
// The tenant registry of Kubernetes mode: the namespace's `Tenant` and
// `Database` resources (mcp-gateway.dev/v1alpha1), watched by every gateway
// replica (list, then watch from the resourceVersion, relist on 410 Gone),
// and the metadata of its Secrets (a credentials Secret's resourceVersion,
// never its data: a rotation gives the tenants using it a new revision).
// The one Secret whose data is read is a tenant's tokens Secret (SHA-256
// hashes of its tokens). Each resource gets a status saying what the
// gateway made of it, and why not (an invalid spec, a missing Secret).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "policies/target.h"
#include "runtime/kube_client.h"

namespace mcpgw::runtime {

struct KubeTenantsOptions {
  std::string namespace_name = "default";
  // The gateway's DSN rules on a database's type://host:port/database:
  // why it is refused, or nullopt.
  std::function<std::optional<std::string>(const policies::Dsn&)> check_database;
  // The pod that serves a tenant at its revision (status.instance).
  std::function<std::string(const policies::TenantView&)> instance_name;
  // A tenant's revision is no longer current (edited, or deleted): its
  // instance is to drain. Called from a watch thread.
  std::function<void(const std::string& tenant, std::int64_t revision)> on_retired;
};

class KubeTenantDirectory final : public policies::TenantDirectory {
 public:
  KubeTenantDirectory(std::shared_ptr<const KubeClient> client,
                      KubeTenantsOptions options);
  ~KubeTenantDirectory() override;

  std::optional<policies::TenantView> FindByToken(std::string_view token) const override;
  // The tenant whose spec.auth.oidcClaimValue is `value` (for the OAuth
  // target resolution of issue 17 to wire); nullopt when none is served.
  std::optional<policies::TenantView> FindByOidcClaim(std::string_view value) const;
  // The OAuth listener (docs/oauth.md): the --oidc-tenant-claim value names
  // a declared tenant through its spec.auth.oidcClaimValue.
  std::optional<policies::TenantView> FindById(std::string_view id) const override {
    return FindByOidcClaim(id);
  }

  // Waits until every resource has been listed once and the tenants built
  // from them (start-up), at most `timeout`. False: not yet (the API server
  // may be away: logged).
  bool WaitSynced(std::chrono::milliseconds timeout) const;

  // What the admin API shows: id, revision, options, databases (redacted
  // type://host:port/database), problems. Nothing secret.
  nlohmann::json List() const;
  std::optional<nlohmann::json> Get(std::string_view id) const;
  // Current (tenant, revision) pairs.
  std::vector<std::pair<std::string, std::int64_t>> Revisions() const;

  // Whether this gateway may read the resources and Secrets it needs
  // (SelfSubjectAccessReview); the error names what is missing.
  absl::Status CheckAccess() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace mcpgw::runtime
