#pragma once
// Flags of the kubernetes runtime (--runtime=kubernetes): namespace,
// credentials, pod resources, volumes, image pull policy.

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "runtime/kube_spec.h"

namespace mcpgw {

struct KubeConfig {
  std::string namespace_name = "default";
  std::filesystem::path kubeconfig;  // empty: in-cluster
  std::string pull_policy = "IfNotPresent";
  runtime::KubeResources resources;
  std::vector<runtime::KubeVolume> volumes;
  bool cleanup = false;  // --kube-cleanup: delete this gateway's pods, exit
};

class KubeOptions {
 public:
  boost::program_options::options_description Describe();
  absl::Status Finish(KubeConfig& out);
  bool cleanup_requested() const { return cleanup_; }

 private:
  std::string namespace_;
  std::string kubeconfig_;
  std::string pull_policy_ = "IfNotPresent";
  runtime::KubeResources resources_;
  std::vector<std::string> volumes_;
  bool cleanup_ = false;
};

nlohmann::json KubeConfigJson(const KubeConfig& config);

}  // namespace mcpgw
