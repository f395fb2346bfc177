#include "src/kube_tenant_setup.h"

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "policies/instance_key.h"
#include "policies/target.h"
#include "runtime/kube_client.h"
#include "runtime/kube_spec.h"

namespace mcpgw {

namespace {
// How long start-up waits for the first lists before serving anyway
// (tokens resolve as soon as they arrive).
constexpr std::chrono::seconds kFirstSyncWait{10};
}  // namespace

absl::StatusOr<std::unique_ptr<runtime::KubeTenantDirectory>> OpenKubeTenants(
    const Config& config, const policies::DsnPolicy& rules,
    const std::string& key_secret, RevisionDrainer& drainer) {
  auto credentials = config.kube.kubeconfig.empty()
                         ? runtime::InClusterCredentials()
                         : runtime::LoadKubeconfig(config.kube.kubeconfig);
  if (!credentials.ok()) return credentials.status();
  auto client = std::make_shared<const runtime::KubeClient>(*std::move(credentials));
  runtime::KubeTenantsOptions options;
  options.namespace_name = config.kube.namespace_name;
  options.check_database =
      [&rules](const policies::Dsn& dsn) -> std::optional<std::string> {
    if (auto refused = rules.CheckDsn(dsn)) return refused->message;
    return std::nullopt;
  };
  options.instance_name = [key_secret](const policies::TenantView& tenant) {
    return runtime::PodName(
        policies::TenantInstanceKey(key_secret, tenant.id, tenant.revision));
  };
  options.on_retired = [&drainer](const std::string& tenant, std::int64_t revision) {
    drainer.Drain(tenant, revision);
  };
  auto directory =
      std::make_unique<runtime::KubeTenantDirectory>(client, std::move(options));
  if (auto access = directory->CheckAccess(); !access.ok()) {
    if (!absl::IsUnavailable(access)) return access;
    spdlog::error("{}", std::string(access.message()));
  }
  if (directory->WaitSynced(kFirstSyncWait)) {
    spdlog::info("tenants from Kubernetes (namespace {}): {} Tenant resources",
                 config.kube.namespace_name, directory->List().size());
  } else {
    spdlog::warn("tenants from Kubernetes (namespace {}): not listed yet; tenant "
                 "tokens resolve once they are",
                 config.kube.namespace_name);
  }
  return directory;
}

gateway::DeclaredTenants DeclaredTenantsOf(const runtime::KubeTenantDirectory& tenants,
                                           const std::string& namespace_name) {
  return {
      .managed_with = text::Cat(
          "tenants are Kubernetes resources here (--tenants-from=kubernetes): "
          "change them with kubectl (Tenant and Database in namespace ",
          namespace_name, "), not through this API"),
      .list = [&tenants] { return tenants.List(); },
      .get = [&tenants](std::string_view id) { return tenants.Get(id); },
      .revisions = [&tenants] { return tenants.Revisions(); },
  };
}

}  // namespace mcpgw
