#pragma once
// Which runtime the integration scenarios run on. The same test binary runs
// twice under ctest: on the process runtime, and (tests named docker.*) with
// MCP_GATEWAY_TEST_DOCKER_HOST set to the Podman engine that the
// podman_engine fixture starts (tests/integration/podman/podman_service.sh).

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/docker_engine.h"
#include "runtime/kube_client.h"

namespace mcpgw::it {

// True when MCP_GATEWAY_TEST_DOCKER_HOST is set: the docker runtime.
bool UnderDockerRuntime();

// True when MCP_GATEWAY_TEST_KUBECONFIG is set: the kubernetes runtime
// (tests named kubernetes.*, against the cluster tests/kubernetes/cluster.sh
// brings up; tests/integration/kubernetes/test_env.sh prepares it).
bool UnderKubernetesRuntime();
// The container runtimes (docker, kubernetes).
inline bool UnderContainerRuntime();

// MCP_GATEWAY_TEST_KUBECONFIG, and the namespace the tests use
// (MCP_GATEWAY_TEST_KUBE_NAMESPACE, default mcpgw-it).
std::string TestKubeconfig();
std::string TestKubeNamespace();
// A client of the test cluster's API (cluster-admin).
runtime::KubeClient TestKubeClient();
// GET on the test cluster's API: the parsed answer (null when it fails).
nlohmann::json KubeGet(const std::string& path);
// The host pid of DBHub in pod `name` of the test namespace (the cluster's
// one node is this machine), -1 if none.
int PodProcessPid(const std::string& name);
// The node's address on the pods' bridge (MCP_GATEWAY_TEST_KUBE_NODE_IP,
// default 10.244.0.1): where pods reach servers on this machine.
std::string KubeNodeIp();

// MCP_GATEWAY_TEST_DOCKER_HOST (unix:///...podman.sock).
std::string TestDockerHost();
// MCP_GATEWAY_TEST_IMAGE, default mcp-gateway/dbhub:1.4.0-offline.
std::string TestImage();

// Gateway flags selecting the runtime under test. `shared_dir` is where the
// tests put SQLite files: bind-mounted read-only into every container at the
// same path, so that sqlite:///path DSNs work in both runtimes.
std::vector<std::string> RuntimeFlags(const std::filesystem::path& shared_dir);

// Makes `dir` and its parents up to `base` traversable, and `dir` readable,
// by the containers' non-root user.
void ShareWithContainers(const std::filesystem::path& base,
                         const std::filesystem::path& dir);

// A client of the engine under test (docker runs only).
runtime::DockerEngine TestEngine();

// GET /containers/{id}/json as the engine answers it (null if that fails).
nlohmann::json InspectRaw(const std::string& container_id);

inline bool UnderContainerRuntime() {
  return UnderDockerRuntime() || UnderKubernetesRuntime();
}

}  // namespace mcpgw::it
