#pragma once
// Runs each DBHub as a container through the Docker Engine API (Docker, or
// Podman's compatible service): created with the DSN and token in its
// environment only, isolated and limited, watched from creation to exit by
// a thread of its own (its end noticed through one shared engine event
// stream), removed once it has stopped.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_exits.h"
#include "runtime/container_spec.h"
#include "runtime/docker_engine.h"
#include "runtime/runtime.h"

namespace mcpgw::runtime {

struct DockerRuntimeOptions {
  std::string image = "bytebase/dbhub:1.4.0";
  std::string user = "10001:10001";
  ContainerLimits limits;
  // Empty: host network, DBHub bound to 127.0.0.1 on a free port (a local
  // engine). Else an engine network the gateway can reach: DBHub listens on
  // kNetworkPort at the container's address there.
  std::string network;
  std::vector<std::string> binds;  // "source:target[:ro]"
  // Parent of the per-instance directories that hold a container's DBHub
  // config (tenants, --readonly, --max-rows), bind-mounted read-only into
  // it. The engine must see it at this same path. Emptied when the runtime
  // is made (what is there belongs to an earlier run). Empty: instances
  // that need a config are refused.
  std::filesystem::path config_root;
  // Marks this gateway's containers (derived from its secret: stable across
  // restarts, different for every state directory).
  std::string gateway_id;
  std::chrono::milliseconds start_timeout{30'000};
  std::chrono::seconds stop_grace{3};
  std::chrono::milliseconds probe_interval{25};
};

// A container an earlier run of this gateway left behind.
struct LeftoverContainer {
  std::string container_id;
  std::string image;
  bool running = false;
  // Set when it may not be adopted whatever its state: why.
  std::string not_adoptable;
  std::string dsn;    // secret, from the container's environment
  Endpoint endpoint;  // bearer token from the container's environment
  std::optional<int> pid;
};

class DockerRuntime final : public Runtime {
 public:
  // DBHub's port inside a container on a named network.
  static constexpr std::uint16_t kNetworkPort = 8080;

  DockerRuntime(std::shared_ptr<const DockerEngine> engine,
                DockerRuntimeOptions options);
  std::string name() const override { return "docker"; }
  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override;

  // This gateway's containers on the engine (by the gateway-id label).
  absl::StatusOr<std::vector<LeftoverContainer>> FindLeftovers() const;
  // Watches a leftover as if this runtime had launched it: OnReady once it
  // answers /healthz, OnExit when it ends.
  std::unique_ptr<RunningInstance> Attach(
      const LeftoverContainer& leftover, const LaunchSpec& spec,
      std::shared_ptr<InstanceEvents> events);
  // Stops and removes a container at once.
  absl::Status Remove(const std::string& container_id) const;

 private:
  const std::shared_ptr<const DockerEngine> engine_;
  const DockerRuntimeOptions options_;
  // Shared with the watchers, which may outlive the runtime briefly.
  const std::shared_ptr<ContainerExits> exits_;
};

}  // namespace mcpgw::runtime
