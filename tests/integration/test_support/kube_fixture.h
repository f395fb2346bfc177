#pragma once
// The fixture of the kubernetes-only tests (kubernetes.* runs): skipped
// under the other runtimes, with the test cluster's API at hand.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/process.h"
#include "test_support/test_runtime.h"

namespace mcpgw::it {

class KubernetesTest : public GatewayTest {
 protected:
  void SetUp() override {
    if (!UnderKubernetesRuntime()) GTEST_SKIP() << "kubernetes only";
  }
  static std::string Ns() { return TestKubeNamespace(); }
  static std::string PodPath(const std::string& name) {
    return "/api/v1/namespaces/" + Ns() + "/pods/" + name;
  }
  // The single instance's pod name (from the admin API).
  std::string OnlyPodName() {
    const auto snapshot = Instances();
    EXPECT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
    return snapshot.instances.empty() ? "" : snapshot.instances[0].container_id;
  }
  static long KubeCall(const std::string& method, const std::string& path,
                       const std::optional<std::string>& body,
                       std::string* answer = nullptr) {
    auto response = TestKubeClient().Call(method, path, body, std::chrono::seconds(30));
    if (!response.ok()) return -1;
    if (answer != nullptr) *answer = response->body;
    return response->status;
  }
  static CommandResult Kubectl(std::vector<std::string> args) {
    SpawnSpec spec;
    spec.argv = {"bash", MCP_GATEWAY_SOURCE_DIR "/tests/kubernetes/cluster.sh",
                 "kubectl", std::filesystem::path(TestKubeconfig()).parent_path().string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    return RunCommand(spec, std::chrono::seconds(60));
  }
  // Another gateway process sharing this one's secret (a replica), with
  // its own state directory; `flags` after the runtime's.
  std::unique_ptr<GatewayProcess> StartReplica(const std::string& name,
                                               std::vector<std::string> flags = {}) {
    const auto other_state = temp().path() / ("state-" + name);
    std::filesystem::create_directories(other_state);
    std::filesystem::copy_file(state_dir() / "secret", other_state / "secret",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(other_state, std::filesystem::perms::owner_all);
    GatewayConfig config;
    config.state_dir = other_state;
    config.log_file = temp().path() / ("gateway-" + name + ".log");
    config.extra_flags = RuntimeFlags(sqlite_dir());
    config.extra_flags.insert(config.extra_flags.end(), flags.begin(), flags.end());
    return std::make_unique<GatewayProcess>(config);
  }
};


}  // namespace mcpgw::it
