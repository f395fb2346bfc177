#include "src/runtime_setup.h"

#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/random_token.h"
#include "policies/instance_key.h"
#include "policies/target.h"
#include "runtime/container_adoption.h"
#include "runtime/docker_engine.h"
#include "runtime/kube_shared_use.h"
#include "runtime/process_runtime.h"
#include "src/sandbox_setup.h"

namespace mcpgw {
namespace {

constexpr std::chrono::milliseconds kLeftoverGrace{3'000};

std::unique_ptr<runtime::DockerRuntime> MakeDockerRuntime(
    const Config& config, const std::string& secret) {
  auto engine = std::make_shared<runtime::DockerEngine>(
      runtime::EngineClient(config.docker_engine));
  // Not fatal: requests fail with a clear error until the engine is back.
  if (auto ping = engine->Ping(); !ping.ok()) {
    spdlog::error("{}", std::string(ping.message()));
  }
  std::vector<std::string> binds = config.docker_mounts;
  return std::make_unique<runtime::DockerRuntime>(
      engine, runtime::DockerRuntimeOptions{
                  .image = config.image,
                  .user = config.docker_user,
                  .limits = config.container_limits,
                  .network = config.docker_network,
                  .binds = std::move(binds),
                  // Private (0700), beside the rest of the gateway's state;
                  // only each instance's own directory is mounted.
                  .config_root =
                      (config.state_dir / "containers").lexically_normal(),
                  .gateway_id = GatewayId(secret),
                  .start_timeout = config.start_timeout,
              });
}

// Recomputes an instance's target from the DSN a leftover container or pod
// holds, as a request with that DSN would have it.
runtime::ResolveLeftoverDsn LeftoverResolver(const std::string& secret) {
  return [&secret](const std::string& dsn)
             -> std::optional<runtime::AdoptionTarget> {
    policies::RequestCredentials credentials;
    credentials.dsn_header = dsn;
    credentials.dsn_header_count = 1;
    auto decision = policies::ResolveTarget(credentials, secret);
    auto* target = std::get_if<policies::Target>(&decision);
    if (target == nullptr) return std::nullopt;
    return runtime::AdoptionTarget{target->key, target->dsn.redacted,
                                   target->dsn.secrets};
  };
}

// `what`: "containers" or "pods"; `removed`: what the runtime calls it.
void ReportLeftovers(const absl::StatusOr<runtime::AdoptionResult>& result,
                     std::string_view what, std::string_view removed) {
  if (!result.ok()) {
    spdlog::error("cannot look for {} left by an earlier run: {}", what,
                  std::string(result.status().message()));
  } else if (result->adopted + result->removed > 0) {
    spdlog::warn("{} left by an earlier run: {} adopted, {} {}", what,
                 result->adopted, result->removed, removed);
  }
}

// The kubernetes runtime, after checking that the API server answers and
// that this gateway may do what it needs in its namespace.
absl::StatusOr<std::unique_ptr<runtime::KubeRuntime>> MakeKubeRuntime(
    const Config& config, const std::string& secret) {
  auto credentials = config.kube.kubeconfig.empty()
                         ? runtime::InClusterCredentials()
                         : runtime::LoadKubeconfig(config.kube.kubeconfig);
  if (!credentials.ok()) return credentials.status();
  spdlog::info("runtime kubernetes: {}, namespace {}, image {}",
               credentials->source, config.kube.namespace_name, config.image);
  auto kube = std::make_unique<runtime::KubeRuntime>(
      std::make_shared<const runtime::KubeClient>(*std::move(credentials)),
      runtime::KubeRuntimeOptions{
          .namespace_name = config.kube.namespace_name,
          .image = config.image,
          .pull_policy = config.kube.pull_policy,
          .resources = config.kube.resources,
          .volumes = config.kube.volumes,
          .gateway_id = GatewayId(secret),
          .start_timeout = config.start_timeout,
          // In a cluster the hostname is the gateway pod's name.
          .replica_id = runtime::ReplicaId(
              std::getenv("HOSTNAME") != nullptr ? std::getenv("HOSTNAME") : "",
              common::RandomHex(3)),
          .idle_window = config.idle_timeout,
      });
  if (auto access = kube->CheckAccess(); !access.ok()) {
    if (absl::IsUnavailable(access)) {
      // Not fatal: requests fail with a clear error until it is back.
      spdlog::error("{}", std::string(access.message()));
    } else {
      return access;
    }
  }
  return kube;
}

}  // namespace

int RunKubeCleanup(const Config& config, const std::string& secret) {
  auto kube = MakeKubeRuntime(config, secret);
  if (!kube.ok()) {
    spdlog::critical("{}", std::string(kube.status().message()));
    return 1;
  }
  auto removed = (*kube)->RemoveEverything();
  if (!removed.ok()) {
    spdlog::critical("{}", std::string(removed.status().message()));
    return 1;
  }
  spdlog::info("kube cleanup: {} pod(s), {} Secret(s) and {} ended-session "
               "ConfigMap(s) deleted in namespace {}",
               removed->pods, removed->secrets, removed->ended_sessions,
               config.kube.namespace_name);
  return 0;
}

std::string GatewayId(const std::string& secret) {
  return policies::KeyPrefix(
      policies::DeriveInstanceKey(secret, "mcp-gateway container label"));
}

absl::StatusOr<std::unique_ptr<InstanceRuntime>> BuildInstanceRuntime(
    const Config& config, const std::string& secret, const common::Clock& clock) {
  auto built =
      std::make_unique<InstanceRuntime>(config.state_dir / "instances", clock);
  if (int stopped = built->records.StopLeftovers(kLeftoverGrace); stopped > 0) {
    spdlog::warn("stopped {} DBHub process(es) left by an earlier run", stopped);
  }
  std::error_code ignored;
  // Where an earlier version kept the instances' directories.
  std::filesystem::remove_all(config.state_dir / "run", ignored);
  if (config.runtime == "process") {
    auto made = SetUpInstanceSandbox(config);
    if (!made.ok()) return made.status();
    built->sandbox = *std::move(made);
  }

  // The warm pool serves the process runtime; containers start their own way.
  // Its workers are pre-loaded DBHubs: no use for another server.
  const bool custom_server = !config.server_command.empty();
  if (custom_server && config.warm_pool > 0) {
    spdlog::info("warm pool off: --server-command {} is not DBHub",
                 config.server_command);
  }
  if (config.runtime == "process" && config.warm_pool > 0 && !custom_server) {
    built->warm_pool = std::make_unique<runtime::WarmPool>(runtime::WarmPoolOptions{
        .node_path = config.node_path,
        .preloader_path = config.warm_preloader,
        .dbhub_entry = config.dbhub_entry,
        .work_root = config.sandbox.instance_dir,
        .size = config.warm_pool,
        .warm_timeout = config.start_timeout,
        .records = &built->records,
        .sandbox = built->sandbox,
    });
  }
  if (config.runtime == "kubernetes") {
    auto kube = MakeKubeRuntime(config, secret);
    if (!kube.ok()) return kube.status();
    built->kube = kube->get();
    built->runtime = *std::move(kube);
  } else if (config.runtime == "docker") {
    auto docker = MakeDockerRuntime(config, secret);
    built->docker = docker.get();
    built->runtime = std::move(docker);
  } else {
    built->runtime = std::make_unique<runtime::ProcessRuntime>(
        runtime::ProcessRuntimeOptions{
            .node_path = config.node_path,
            .dbhub_entry = config.dbhub_entry,
            .work_root = config.sandbox.instance_dir,
            .start_timeout = config.start_timeout,
            .liveness_timeout = config.liveness_timeout,
            .records = &built->records,
            .warm_pool = built->warm_pool.get(),
            .server_command =
                custom_server
                    ? std::optional<runtime::ServerCommand>(
                          runtime::ServerCommand{config.server_command,
                                                 config.server_args})
                    : std::nullopt,
            .extra_env = config.server_env,
            .readiness = {.path = config.server_readiness_path,
                          .any_status = config.server_readiness_any_status},
            .sandbox = built->sandbox,
        });
  }
  return built;
}

void AdoptLeftovers(InstanceRuntime& built, runtime::InstancePool& pool,
                    const std::string& secret) {
  if (built.docker != nullptr) {
    ReportLeftovers(runtime::AdoptOrRemoveLeftovers(*built.docker, pool,
                                                    LeftoverResolver(secret)),
                    "containers", "removed");
  }
  if (built.kube != nullptr) {
    ReportLeftovers(runtime::AdoptOrRemoveLeftoverPods(*built.kube, pool,
                                                       LeftoverResolver(secret)),
                    "pods", "deleted");
  }
}

}  // namespace mcpgw
