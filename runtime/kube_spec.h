#pragma once
// What a DBHub pod is made of, as Kubernetes API JSON: the Pod (restricted
// Pod Security, no secret anywhere in it), the per-instance Secret it reads
// its DSN, token and DBHub config from, the labels that let a restarted
// gateway find its pods, the pod's name from the instance key, and the
// reading of a pod's status (Ready, failed and why, still starting). Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/runtime.h"

namespace mcpgw::runtime {

// Label and annotation names on every pod and secret the gateway creates.
// Nothing secret.
namespace kube_label {
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "mcp-gateway";
inline constexpr const char* kGatewayId = "mcp-gateway/gateway-id";
inline constexpr const char* kKeyPrefix = "mcp-gateway/key-prefix";
// "1" on pods started with a DBHub config (tenants, --readonly,
// --max-rows): a restarted gateway deletes them instead of adopting them.
inline constexpr const char* kDbhubConfig = "mcp-gateway/dbhub-config";
// Annotation: the gateway-local instance id that created the pod.
inline constexpr const char* kInstanceId = "mcp-gateway/instance-id";
// Annotation: the name of the pod's Secret (one per pod incarnation: a new
// pod of the same name never starts with an earlier one's Secret).
inline constexpr const char* kSecretName = "mcp-gateway/secret";
}  // namespace kube_label

// Keys of the per-instance Secret.
namespace kube_secret_key {
inline constexpr const char* kDsn = "DSN";
inline constexpr const char* kToken = "DBHUB_AUTH_TOKEN";
inline constexpr const char* kConfig = "dbhub.toml";
}  // namespace kube_secret_key

// DBHub's port in the pod, and where its config is mounted.
inline constexpr std::uint16_t kPodPort = 8080;
inline constexpr const char* kPodConfigDir = "/mcp-gateway";

struct KubeResources {
  std::string cpu_request = "100m";
  std::string cpu_limit = "1";
  std::string memory_request = "128Mi";
  std::string memory_limit = "512Mi";
};

// A PersistentVolumeClaim mounted into every instance pod (SQLite files).
struct KubeVolume {
  std::string claim;
  std::string mount_path;
  bool read_only = false;
};

struct KubePodInput {
  std::string name;  // the pod
  std::string secret_name;  // its Secret (empty: `name`)
  std::string namespace_name;
  std::string image;
  std::string pull_policy = "IfNotPresent";
  std::string gateway_id;
  std::string key_prefix;
  std::string instance_id;
  std::string created_at;
  bool has_dsn = true;
  // Names of the secret_env entries (values go into the Secret only).
  std::vector<std::string> secret_env_names;
  // Variables from keys of the user's own Secrets (declared databases'
  // credentials): secretKeyRef to them, no value anywhere in the gateway.
  std::vector<SecretKeyEnv> secret_key_env;
  bool has_config = false;
  std::int64_t uid = 10001;
  std::int64_t termination_grace_seconds = 3;
  KubeResources resources;
  std::vector<KubeVolume> volumes;
};

// The pod's name from the full instance key (a hex HMAC): "mcpgw-" and its
// first 40 characters, lower-case alphanumerics only (DNS-1123 label, at
// most 63 characters). Deterministic: two gateways sharing a secret name
// the pod of one target alike, so the second create meets AlreadyExists.
std::string PodName(std::string_view instance_key);

// True for a DNS-1123 label (namespaces, claim names).
bool IsDns1123Label(std::string_view name);
// True for a Kubernetes resource quantity such as 100m, 1, 0.5, 512Mi, 1G.
bool IsQuantity(std::string_view text);

// The Pod: restricted security context, DSN and token from secretKeyRef env,
// the config from a Secret volume; nothing secret in it.
nlohmann::json BuildPod(const KubePodInput& input);

// The per-instance Secret, owned by the pod (uid `pod_uid`): DSN (when not
// empty), token, each "NAME=value" of `secret_env`, and the DBHub config
// (when not empty).
nlohmann::json BuildSecret(const KubePodInput& input, std::string_view pod_uid,
                           std::string_view dsn, std::string_view token,
                           const std::vector<std::string>& secret_env,
                           std::string_view dbhub_config);

// The merge patch that makes a pod a dependent of its Secret (name, uid),
// so that the garbage collector removes either one when the other is
// deleted (the Secret is already owned by the pod: the cycle is the point).
nlohmann::json PodOwnedBySecretPatch(std::string_view secret_name,
                                     std::string_view secret_uid);

// "key=value" selector of one gateway's pods.
std::string GatewaySelector(std::string_view gateway_id);

// A pod's state as far as the gateway cares.
struct PodCondition {
  enum class Kind { kPending, kReady, kFailed };
  Kind kind = Kind::kPending;
  // kFailed: why, e.g. "ErrImageNeverPull: ..."; kPending: what it waits
  // for, when known.
  std::string reason;
  // kFailed because its container ended: its exit code.
  std::optional<int> exit_code;
  // kFailed on CreateContainerConfigError: may be the Secret not created
  // yet; the runtime gives it a grace period.
  bool config_error = false;
  bool terminating = false;  // deletionTimestamp set
  std::string pod_ip;
  std::string uid;
};
PodCondition ClassifyPod(const nlohmann::json& pod);
// metadata.name of a Kubernetes object (as listed or watched); empty when
// it has none.
std::string ObjectName(const nlohmann::json& object);
// The name of a pod's Secret (its annotation; else the pod's name).
std::string PodSecretName(const nlohmann::json& pod);

// One sentence from a Kubernetes API error answer (a Status object, or
// anything else): "create pods in namespace x: 403 Forbidden: pods is
// forbidden: User ... cannot create resource ...".
std::string DescribeApiError(long http_status, std::string_view body,
                             std::string_view what);

}  // namespace mcpgw::runtime
