#include "test_support/test_runtime.h"

#include <sys/stat.h>

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mcpgw::it {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

bool UnderDockerRuntime() {
  return !EnvOr("MCP_GATEWAY_TEST_DOCKER_HOST", "").empty();
}

std::string TestDockerHost() {
  const std::string host = EnvOr("MCP_GATEWAY_TEST_DOCKER_HOST", "");
  if (host.empty()) {
    throw std::runtime_error(
        "MCP_GATEWAY_TEST_DOCKER_HOST is not set (ctest sets it for the "
        "docker.* tests)");
  }
  return host;
}

namespace {

// DIR/shared beside DIR/kubeconfig (tests/integration/kubernetes/test_env.sh):
// the pods see it at the same path.
std::string KubeSharedRoot() {
  const std::string kubeconfig = EnvOr("MCP_GATEWAY_TEST_KUBECONFIG", "");
  if (kubeconfig.empty()) return "";
  return (std::filesystem::path(kubeconfig).parent_path() / "shared").string();
}

// The tests' temporary directories (SQLite files) go under the shared root,
// set before any fixture makes one (ctest passes one variable only).
const bool kSharedTmpdir = [] {
  const std::string root = KubeSharedRoot();
  if (!root.empty() && std::filesystem::is_directory(root)) {
    setenv("TMPDIR", root.c_str(), 1);
  }
  return true;
}();

}  // namespace

bool UnderKubernetesRuntime() {
  return !EnvOr("MCP_GATEWAY_TEST_KUBECONFIG", "").empty();
}

std::string TestKubeconfig() {
  const std::string path = EnvOr("MCP_GATEWAY_TEST_KUBECONFIG", "");
  if (path.empty()) {
    throw std::runtime_error(
        "MCP_GATEWAY_TEST_KUBECONFIG is not set (ctest sets it for the "
        "kubernetes.* tests)");
  }
  return path;
}

std::string KubeNodeIp() {
  return EnvOr("MCP_GATEWAY_TEST_KUBE_NODE_IP", "10.244.0.1");
}

std::string TestKubeNamespace() {
  return EnvOr("MCP_GATEWAY_TEST_KUBE_NAMESPACE", "mcpgw-it");
}

runtime::KubeClient TestKubeClient() {
  auto credentials = runtime::LoadKubeconfig(TestKubeconfig());
  if (!credentials.ok()) {
    throw std::runtime_error(std::string(credentials.status().message()));
  }
  return runtime::KubeClient(*credentials);
}

nlohmann::json KubeGet(const std::string& path) {
  auto response = TestKubeClient().Call("GET", path, std::nullopt,
                                        std::chrono::seconds(30));
  if (!response.ok() || response->status != 200) return nullptr;
  return nlohmann::json::parse(response->body, nullptr, false);
}

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int PodProcessPid(const std::string& name) {
  const auto pod = KubeGet("/api/v1/namespaces/" + TestKubeNamespace() +
                           "/pods/" + name);
  if (!pod.is_object()) return -1;
  const std::string uid =
      pod.value("metadata", nlohmann::json::object()).value("uid", "");
  if (uid.empty()) return -1;
  // cgroupfs: .../kubepods/<qos>/pod<uid>/<container id>; the sandbox's
  // pause process is in the pod's cgroup too.
  const std::string marker = "pod" + uid + "/";
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (ReadSmallFile("/proc/" + pid + "/cgroup").find(marker) == std::string::npos) {
      continue;
    }
    const std::string cmdline = ReadSmallFile("/proc/" + pid + "/cmdline");
    if (cmdline.find("node") != std::string::npos ||
        cmdline.find("dbhub") != std::string::npos) {
      found = std::stoi(pid);
      break;
    }
  }
  closedir(proc);
  return found;
}

std::string TestImage() {
  return EnvOr("MCP_GATEWAY_TEST_IMAGE", "mcp-gateway/dbhub:1.4.0-offline");
}

std::vector<std::string> RuntimeFlags(const std::filesystem::path& shared_dir) {
  if (UnderKubernetesRuntime()) {
    // The test env mounts the tests' whole TMPDIR (a hostPath volume, bound
    // to the claim below) at the same path in every pod, read-only.
    const std::string root = KubeSharedRoot();
    std::vector<std::string> flags = {
        "--runtime=kubernetes",
        "--kubeconfig=" + TestKubeconfig(),
        "--kube-namespace=" + TestKubeNamespace(),
        "--image=" + EnvOr("MCP_GATEWAY_TEST_KUBE_IMAGE",
                           "localhost/mcp-gateway/dbhub:1.4.0-offline"),
        "--kube-image-pull-policy=Never",
        // Small requests: one node runs every test's pods.
        "--kube-cpu-request=10m",
        "--kube-memory-request=32Mi",
    };
    if (!root.empty()) {
      flags.push_back("--kube-volume=" +
                      EnvOr("MCP_GATEWAY_TEST_KUBE_CLAIM", "mcpgw-sqlite") + ":" +
                      root + ":ro");
    }
    (void)shared_dir;
    return flags;
  }
  if (!UnderDockerRuntime()) return {};
  return {"--runtime=docker", "--docker-host=" + TestDockerHost(),
          "--image=" + TestImage(),
          "--docker-mount=" + shared_dir.string() + ":" + shared_dir.string() +
              ":ro"};
}

void ShareWithContainers(const std::filesystem::path& base,
                         const std::filesystem::path& dir) {
  chmod(base.c_str(), 0711);
  chmod(dir.c_str(), 0755);
}

runtime::DockerEngine TestEngine() {
  auto address = runtime::ParseDockerHost(TestDockerHost(), std::nullopt);
  if (!address.ok()) throw std::runtime_error(std::string(address.status().message()));
  return runtime::DockerEngine(runtime::EngineClient(*address));
}

nlohmann::json InspectRaw(const std::string& container_id) {
  auto address = runtime::ParseDockerHost(TestDockerHost(), std::nullopt);
  if (!address.ok()) return nullptr;
  const runtime::EngineClient client(*address);
  auto response = client.Call("GET", "/containers/" + container_id + "/json",
                              std::nullopt, std::chrono::seconds(30));
  if (!response.ok() || response->status != 200) return nullptr;
  return nlohmann::json::parse(response->body, nullptr, false);
}

}  // namespace mcpgw::it
