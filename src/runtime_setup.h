#pragma once
// Start-up, step "build the runtime": what starts instances (processes with
// their sandbox and warm pool, containers, or pods), with the records of
// earlier runs; and what an earlier run left behind.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/docker_runtime.h"
#include "runtime/instance_pool.h"
#include "runtime/instance_sandbox.h"
#include "runtime/kube_runtime.h"
#include "runtime/runtime.h"
#include "runtime/state_records.h"
#include "runtime/warm_pool.h"
#include "src/config.h"

namespace mcpgw {

// Members in the order they are built; each uses only those above it, so
// they go in the opposite order.
struct InstanceRuntime {
  InstanceRuntime(const std::filesystem::path& records_dir,
                  const common::Clock& clock)
      : records(records_dir, clock) {}
  runtime::StateRecords records;
  runtime::InstanceSandbox sandbox;
  std::unique_ptr<runtime::WarmPool> warm_pool;  // process runtime, DBHub only
  std::unique_ptr<runtime::Runtime> runtime;
  runtime::DockerRuntime* docker = nullptr;  // `runtime`, when it is docker
  runtime::KubeRuntime* kube = nullptr;      // `runtime`, when it is kubernetes
};

// Stops the processes an earlier run left, then builds the runtime that
// --runtime names. An error is fatal (a sandbox that cannot be made, a
// cluster that refuses this gateway what it needs).
absl::StatusOr<std::unique_ptr<InstanceRuntime>> BuildInstanceRuntime(
    const Config& config, const std::string& secret, const common::Clock& clock);

// Containers or pods of an earlier run: adopted into the pool when their
// target is still valid, else removed. Failures are logged, not fatal.
void AdoptLeftovers(InstanceRuntime& built, runtime::InstancePool& pool,
                    const std::string& secret);

// --kube-cleanup: deletes every pod and Secret this gateway id made in its
// namespace (a Helm uninstall hook). Returns the exit code.
int RunKubeCleanup(const Config& config, const std::string& secret);

// Marks this gateway's containers, pods and ended-session records: stable
// across restarts on one state directory (it comes from the secret there),
// different for every other.
std::string GatewayId(const std::string& secret);

}  // namespace mcpgw
