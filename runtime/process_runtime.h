#pragma once
// Runs each DBHub as a local child process bound to 127.0.0.1: a worker
// claimed from the warm pool when one is idle, a plain spawn otherwise.
// Or, configured with a ServerCommand, any MCP server that speaks
// Streamable HTTP on /mcp (plain spawns only).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/instance_sandbox.h"
#include "runtime/launch_command.h"
#include "runtime/runtime.h"
#include "runtime/state_records.h"
#include "runtime/warm_pool.h"

namespace mcpgw::runtime {

struct ProcessRuntimeOptions {
  std::string node_path;
  std::string dbhub_entry;  // DBHub's dist/index.js
  // Parent of the instances' private working directories.
  std::filesystem::path work_root;
  std::chrono::milliseconds start_timeout{30'000};
  // Time between SIGTERM and SIGKILL when stopping.
  std::chrono::milliseconds stop_grace{3'000};
  // How often readiness is probed while starting.
  std::chrono::milliseconds probe_interval{25};
  // Once ready, an instance that has not answered /healthz for this long is
  // killed (and so replaced on the next request): a hung DBHub (stopped,
  // deadlocked, its event loop blocked) would otherwise hold its DSN until
  // every request to it ran into the backend timeout. Zero turns it off.
  std::chrono::milliseconds liveness_timeout{0};
  StateRecords* records = nullptr;  // optional
  // Where launches claim pre-started workers; null or empty: plain spawns.
  // Only for DBHub: ignored when `server_command` is set.
  WarmPool* warm_pool = nullptr;
  // Set: run this MCP server instead of DBHub (node_path and dbhub_entry
  // are then unused).
  std::optional<ServerCommand> server_command;
  // NAME=VALUE added to every instance's environment (--server-env).
  std::vector<std::string> extra_env;
  ReadinessCheck readiness;
  // How every process is confined; an empty launcher runs them unconfined
  // (unit tests only: the gateway always sets it).
  InstanceSandbox sandbox;
};

class ProcessRuntime final : public Runtime {
 public:
  explicit ProcessRuntime(ProcessRuntimeOptions options);
  std::string name() const override { return "process"; }
  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override;

 private:
  struct Started;
  absl::StatusOr<Started> SpawnCold(const LaunchSpec& spec,
                                    const std::filesystem::path& work_dir,
                                    std::uint16_t port,
                                    const std::string& token);
  std::optional<Started> ClaimWarm(const LaunchSpec& spec, std::uint16_t port,
                                   const std::string& token);

  const ProcessRuntimeOptions options_;
};

}  // namespace mcpgw::runtime
