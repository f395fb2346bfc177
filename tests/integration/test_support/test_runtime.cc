#include "test_support/test_runtime.h"

#include <sys/stat.h>

#include <cstdlib>
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

std::string TestImage() {
  return EnvOr("MCP_GATEWAY_TEST_IMAGE", "mcp-gateway/dbhub:1.4.0-offline");
}

std::vector<std::string> RuntimeFlags(const std::filesystem::path& shared_dir) {
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
