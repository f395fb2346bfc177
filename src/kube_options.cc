#include "src/kube_options.h"

#include <boost/program_options/value_semantic.hpp>

#include "common/text.h"
#include "runtime/kube_client.h"

namespace mcpgw {
namespace po = boost::program_options;

po::options_description KubeOptions::Describe() {
  po::options_description options("Kubernetes runtime (--runtime=kubernetes)");
  options.add_options()
      ("kube-namespace", po::value(&namespace_),
       "Namespace of the instance pods and their Secrets. Default: the "
       "service account's namespace in a cluster, else default.")
      ("kubeconfig", po::value(&kubeconfig_),
       "kubeconfig file (client certificate or token; its current context). "
       "Default: the in-cluster service account.")
      ("kube-image-pull-policy",
       po::value(&pull_policy_)->default_value(pull_policy_),
       "imagePullPolicy of the instance pods: Always, IfNotPresent or Never.")
      ("kube-cpu-request",
       po::value(&resources_.cpu_request)->default_value(resources_.cpu_request),
       "CPU request of each instance pod (a Kubernetes quantity).")
      ("kube-cpu-limit",
       po::value(&resources_.cpu_limit)->default_value(resources_.cpu_limit),
       "CPU limit of each instance pod.")
      ("kube-memory-request",
       po::value(&resources_.memory_request)->default_value(resources_.memory_request),
       "Memory request of each instance pod.")
      ("kube-memory-limit",
       po::value(&resources_.memory_limit)->default_value(resources_.memory_limit),
       "Memory limit of each instance pod.")
      ("kube-volume", po::value(&volumes_)->composing(),
       "CLAIM:MOUNTPATH[:ro]: a PersistentVolumeClaim mounted into every "
       "instance pod (SQLite files; repeatable).")
      ("kube-cleanup", po::bool_switch(&cleanup_),
       "Delete every instance pod and Secret of this gateway (its secret) in "
       "--kube-namespace, then exit: for an uninstall hook. Needs "
       "--runtime=kubernetes.");
  return options;
}

absl::Status KubeOptions::Finish(KubeConfig& out) {
  out.namespace_name = namespace_;
  if (out.namespace_name.empty()) out.namespace_name = runtime::InClusterNamespace();
  if (out.namespace_name.empty()) out.namespace_name = "default";
  if (!runtime::IsDns1123Label(out.namespace_name)) {
    return absl::InvalidArgumentError(text::Cat(
        "--kube-namespace='", out.namespace_name, "' is not a namespace name"));
  }
  out.kubeconfig = kubeconfig_;
  out.cleanup = cleanup_;
  if (pull_policy_ != "Always" && pull_policy_ != "IfNotPresent" &&
      pull_policy_ != "Never") {
    return absl::InvalidArgumentError(
        "--kube-image-pull-policy must be Always, IfNotPresent or Never");
  }
  out.pull_policy = pull_policy_;
  for (const auto& [flag, value] :
       {std::pair{"kube-cpu-request", resources_.cpu_request},
        std::pair{"kube-cpu-limit", resources_.cpu_limit},
        std::pair{"kube-memory-request", resources_.memory_request},
        std::pair{"kube-memory-limit", resources_.memory_limit}}) {
    if (!runtime::IsQuantity(value)) {
      return absl::InvalidArgumentError(text::Cat(
          "--", flag, "='", value, "' is not a quantity (e.g. 250m, 1, 512Mi)"));
    }
  }
  out.resources = resources_;
  out.volumes.clear();
  for (const auto& spec : volumes_) {
    runtime::KubeVolume volume;
    std::string rest = spec;
    const auto colon = rest.find(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(text::Cat(
          "--kube-volume='", spec, "': expected CLAIM:MOUNTPATH[:ro]"));
    }
    volume.claim = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
    if (rest.size() > 3 && rest.compare(rest.size() - 3, 3, ":ro") == 0) {
      volume.read_only = true;
      rest.resize(rest.size() - 3);
    }
    volume.mount_path = rest;
    if (!runtime::IsDns1123Label(volume.claim) || volume.mount_path.empty() ||
        volume.mount_path[0] != '/' || volume.mount_path == "/tmp" ||
        volume.mount_path.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(text::Cat(
          "--kube-volume='", spec,
          "': expected CLAIM:MOUNTPATH[:ro] (a claim name, an absolute path "
          "other than /tmp)"));
    }
    out.volumes.push_back(std::move(volume));
  }
  return absl::OkStatus();
}

nlohmann::json KubeConfigJson(const KubeConfig& config) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto& v : config.volumes) {
    volumes.push_back({{"claim", v.claim}, {"mount_path", v.mount_path},
                       {"read_only", v.read_only}});
  }
  return {{"namespace", config.namespace_name},
          {"kubeconfig", config.kubeconfig.empty()
                             ? nlohmann::json(nullptr)
                             : nlohmann::json(config.kubeconfig.string())},
          {"image_pull_policy", config.pull_policy},
          {"cpu_request", config.resources.cpu_request},
          {"cpu_limit", config.resources.cpu_limit},
          {"memory_request", config.resources.memory_request},
          {"memory_limit", config.resources.memory_limit},
          {"volumes", volumes}};
}

}  // namespace mcpgw
