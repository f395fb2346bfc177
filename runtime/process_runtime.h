#pragma once
// Runs each DBHub as a local child process bound to 127.0.0.1.

#include <chrono>
#include <filesystem>
#include <string>

#include "runtime/runtime.h"
#include "runtime/state_records.h"

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
  StateRecords* records = nullptr;  // optional
};

class ProcessRuntime final : public Runtime {
 public:
  explicit ProcessRuntime(ProcessRuntimeOptions options);
  std::string name() const override { return "process"; }
  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override;

 private:
  const ProcessRuntimeOptions options_;
};

}  // namespace mcpgw::runtime
