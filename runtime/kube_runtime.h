#pragma once
// Runs each DBHub as a bare Pod through the Kubernetes API: named from the
// instance key (a second create for one key meets AlreadyExists and adopts
// the pod another gateway, or an earlier run, made), its DSN and token in a
// Secret the pod owns, restricted Pod Security, reached at status.podIP.
// One watch on the namespace's pods (this gateway's label) tells every
// instance's thread when its pod is Ready, failed (image, crash,
// scheduling: the reason at once, with DBHub's last log lines) or gone.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/container_adoption.h"
#include "runtime/instance_pool.h"
#include "runtime/kube_client.h"
#include "runtime/kube_spec.h"
#include "runtime/runtime.h"

namespace mcpgw::runtime {

struct KubeRuntimeOptions {
  std::string namespace_name = "default";
  std::string image = "bytebase/dbhub:1.4.0";
  std::string pull_policy = "IfNotPresent";
  KubeResources resources;
  std::vector<KubeVolume> volumes;
  std::string gateway_id;
  std::chrono::milliseconds start_timeout{30'000};
  int termination_grace_seconds = 1;
  // How long CreateContainerConfigError may last after the Secret exists
  // before it is the pod's failure (the kubelet may have looked before).
  std::chrono::milliseconds config_error_grace{8'000};
  // This process among the gateway replicas sharing the pods (its pod's
  // name in a cluster); empty: a random one.
  std::string replica_id;
  // A pod another replica used more recently than this is not deleted;
  // one no replica used for longer is (the gateway's --idle-timeout).
  std::chrono::milliseconds idle_window{300'000};
};

// A pod an earlier run (or another gateway with this secret) left.
struct LeftoverPod {
  std::string name;
  std::string uid;
  bool ready = false;
  bool failed = false;  // failed or being deleted
  bool young = false;   // created less than the start timeout ago
  std::string not_adoptable;  // set: why it may not be adopted
  std::string dsn;            // secret, from the pod's Secret
  Endpoint endpoint;
  std::string pod_json;  // its last known state, for Attach
  bool used_elsewhere = false;  // another replica used it within the idle window
};

class KubeRuntime final : public Runtime {
 public:
  KubeRuntime(std::shared_ptr<const KubeClient> client, KubeRuntimeOptions options);
  ~KubeRuntime() override;
  std::string name() const override { return "kubernetes"; }
  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override;

  // Whether the API server answers and this gateway may do all it needs in
  // its namespace (SelfSubjectAccessReview per verb and resource). The
  // error names what is missing.
  absl::Status CheckAccess() const;

  absl::StatusOr<std::vector<LeftoverPod>> FindLeftovers() const;
  std::unique_ptr<RunningInstance> Attach(const LeftoverPod& leftover,
                                          const LaunchSpec& spec,
                                          std::shared_ptr<InstanceEvents> events);
  absl::Status Remove(const std::string& pod_name) const;

  // Deletes every pod, Secret and ended-session ConfigMap of this gateway
  // id in the namespace (--kube-cleanup). Errors when they cannot be
  // listed or deleted.
  struct Removed {
    int pods = 0;
    int secrets = 0;
    int ended_sessions = 0;
  };
  absl::StatusOr<Removed> RemoveEverything() const;

  std::shared_ptr<const KubeClient> client() const;

  struct Shared;

 private:
  const std::shared_ptr<Shared> shared_;
};

// Adopts this gateway's Ready pods whose DSN it still serves, deletes the
// rest (tenant/config pods included). Errors only when pods cannot be listed.
absl::StatusOr<AdoptionResult> AdoptOrRemoveLeftoverPods(
    KubeRuntime& runtime, InstancePool& pool, const ResolveLeftoverDsn& resolve);

}  // namespace mcpgw::runtime
