#pragma once
// The one interface behind which an instance is a process, a container or a
// pod. The pool only ever talks to this.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::runtime {

struct LaunchSpec {
  std::string instance_id;
  // Secret: delivered to the instance only through its environment.
  std::string dsn;
  // Shown in logs and errors instead of the DSN.
  std::string redacted_target;
  // Spellings of the DSN's secrets, scrubbed from everything the instance prints.
  std::vector<std::string> secrets;
  // The first characters of the instance key, for labels (not secret).
  std::string key_prefix;
  // A DBHub TOML config (tenants, readonly, max rows): written 0600 in the
  // instance's private directory and passed as --config. Holds no secret:
  // DSNs appear in it only as ${VAR}, set through `secret_env`.
  std::string dbhub_config = {};
  // "NAME=value" entries added to the instance's environment. Secret.
  std::vector<std::string> secret_env = {};
  // The full instance key (an HMAC, not secret): names the instance where a
  // runtime needs a deterministic name (kubernetes pods).
  std::string instance_key = {};
};

// Where and how the gateway reaches a launched instance.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string bearer_token;  // secret, per instance
};

// Called by the runtime from its own threads, at most once each, OnReady
// before OnExit. OnExit always comes, whether the instance failed to start,
// crashed, or was stopped.
class InstanceEvents {
 public:
  virtual ~InstanceEvents() = default;
  virtual void OnReady() = 0;
  // `reason`: why it ended, already redacted, e.g. DBHub's fatal error.
  virtual void OnExit(std::string reason) = 0;
};

// What the admin API shows of a container instance.
struct ContainerInfo {
  std::string id;
  std::string image;
};

class RunningInstance {
 public:
  virtual ~RunningInstance() = default;
  virtual const Endpoint& endpoint() const = 0;
  virtual std::optional<int> pid() const = 0;
  // Asks the instance to stop; returns at once. OnExit follows.
  virtual void Stop() = 0;
  // The instance's recent output, redacted.
  virtual std::string RecentOutput() const = 0;
  // Set for instances that are containers (id known once created).
  virtual std::optional<ContainerInfo> container() const {
    return std::nullopt;
  }
  // True when Launch handed out an already started warm-pool worker rather
  // than starting a new one (metrics label spawns cold or warm).
  virtual bool from_warm_pool() const { return false; }
  // What the instance uses, where the runtime can tell (a process's RSS).
  // May read files or ask an API: never called under the pool's lock.
  virtual std::optional<std::uint64_t> MemoryBytes() const {
    return std::nullopt;
  }
  // Named facts that differ per runtime, for the admin API (a pod's name
  // and node, ...). Nothing secret.
  virtual std::map<std::string, std::string> Details() const { return {}; }
  // The pool leased it, released it, or holds it busy: runtimes shared by
  // several gateway replicas record it (cheap; called under the pool's lock).
  virtual void NoteUse() {}
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;
  // Starts an instance. An error here means nothing was started and no
  // event will follow.
  virtual absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) = 0;
};

}  // namespace mcpgw::runtime
