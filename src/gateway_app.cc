#include "src/gateway_app.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "gateway/admin_handler.h"
#include "gateway/http_server.h"
#include "gateway/mcp_handler.h"
#include "policies/instance_key.h"
#include "policies/target.h"
#include "runtime/clock.h"
#include "runtime/container_adoption.h"
#include "runtime/docker_runtime.h"
#include "runtime/instance_pool.h"
#include "runtime/process_runtime.h"
#include "runtime/state_records.h"
#include "runtime/warm_pool.h"
#include "src/state_dir.h"
#include "policies/text.h"

namespace mcpgw {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::milliseconds kLeftoverGrace{3'000};
constexpr std::chrono::milliseconds kInstanceStopWait{8'000};

std::string Describe(const gateway::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6()
             ? text::Cat("[", address.to_string(), "]:", endpoint.port())
             : text::Cat(address.to_string(), ":", endpoint.port());
}

// Stops accepting, lets in-flight requests finish within the grace period,
// stops every instance, then ends the event loop.
void ShutDown(const Config& config, asio::io_context& io,
              gateway::HttpServer& mcp_server,
              gateway::HttpServer& admin_server, runtime::InstancePool& pool) {
  mcp_server.StopAccepting();
  admin_server.StopAccepting();
  const auto deadline =
      std::chrono::steady_clock::now() + config.shutdown_grace;
  while (mcp_server.active_requests() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (mcp_server.active_requests() > 0) {
    spdlog::warn("{} requests still in flight after the grace period",
                 mcp_server.active_requests());
  }
  if (!pool.StopAll(kInstanceStopWait)) {
    spdlog::warn("some instances did not stop in time");
  }
  io.stop();
}

// Marks this gateway's containers: stable across restarts on one state
// directory (it comes from the secret there), different for every other.
std::string GatewayId(const std::string& secret) {
  return policies::KeyPrefix(
      policies::DeriveInstanceKey(secret, "mcp-gateway container label"));
}

std::unique_ptr<runtime::DockerRuntime> MakeDockerRuntime(
    const Config& config, const std::string& secret) {
  auto engine = std::make_shared<runtime::DockerEngine>(
      runtime::EngineClient(config.docker_engine));
  // Not fatal: requests fail with a clear error until the engine is back.
  if (auto ping = engine->Ping(); !ping.ok()) {
    spdlog::error("{}", std::string(ping.message()));
  }
  std::vector<std::string> binds = config.docker_mounts;
  return std::make_unique<runtime::DockerRuntime>(
      engine, runtime::DockerRuntimeOptions{
                  .image = config.image,
                  .user = config.docker_user,
                  .limits = config.container_limits,
                  .network = config.docker_network,
                  .binds = std::move(binds),
                  .gateway_id = GatewayId(secret),
                  .start_timeout = config.start_timeout,
              });
}

void AdoptLeftoverContainers(runtime::DockerRuntime& docker,
                             runtime::InstancePool& pool,
                             const std::string& secret) {
  auto result = runtime::AdoptOrRemoveLeftovers(
      docker, pool,
      [&secret](const std::string& dsn)
          -> std::optional<runtime::AdoptionTarget> {
        policies::RequestCredentials credentials;
        credentials.dsn_header = dsn;
        credentials.dsn_header_count = 1;
        auto decision = policies::ResolveTarget(credentials, secret);
        auto* target = std::get_if<policies::Target>(&decision);
        if (target == nullptr) return std::nullopt;
        return runtime::AdoptionTarget{target->key, target->dsn.redacted,
                                       target->dsn.secrets};
      });
  if (!result.ok()) {
    spdlog::error("cannot look for containers left by an earlier run: {}",
                  std::string(result.status().message()));
  } else if (result->adopted + result->removed > 0) {
    spdlog::warn("containers left by an earlier run: {} adopted, {} removed",
                 result->adopted, result->removed);
  }
}

}  // namespace

int RunGateway(const Config& config) {
  if (auto status = PrepareStateDir(config.state_dir); !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }
  auto secret = LoadOrCreateSecret(config.state_dir);
  if (!secret.ok()) {
    spdlog::critical("{}", std::string(secret.status().message()));
    return 1;
  }
  runtime::StateRecords records(config.state_dir / "instances");
  if (int stopped = records.StopLeftovers(kLeftoverGrace); stopped > 0) {
    spdlog::warn("stopped {} DBHub process(es) left by an earlier run", stopped);
  }
  std::error_code ignored;
  std::filesystem::remove_all(config.state_dir / "run", ignored);

  // The warm pool serves the process runtime; containers start their own way.
  std::unique_ptr<runtime::WarmPool> warm_pool;
  if (config.runtime == "process" && config.warm_pool > 0) {
    warm_pool = std::make_unique<runtime::WarmPool>(runtime::WarmPoolOptions{
        .node_path = config.node_path,
        .preloader_path = config.warm_preloader,
        .dbhub_entry = config.dbhub_entry,
        .work_root = config.state_dir / "run",
        .size = config.warm_pool,
        .warm_timeout = config.start_timeout,
        .records = &records,
    });
  }
  std::unique_ptr<runtime::Runtime> instance_runtime;
  runtime::DockerRuntime* docker_runtime = nullptr;
  if (config.runtime == "docker") {
    auto docker = MakeDockerRuntime(config, *secret);
    docker_runtime = docker.get();
    instance_runtime = std::move(docker);
  } else {
    instance_runtime = std::make_unique<runtime::ProcessRuntime>(
        runtime::ProcessRuntimeOptions{
            .node_path = config.node_path,
            .dbhub_entry = config.dbhub_entry,
            .work_root = config.state_dir / "run",
            .start_timeout = config.start_timeout,
            .records = &records,
            .warm_pool = warm_pool.get(),
        });
  }
  runtime::SystemClock clock;
  runtime::InstancePool pool(*instance_runtime, clock,
                             {.idle_timeout = config.idle_timeout,
                              .max_instances = config.max_instances});
  if (docker_runtime != nullptr) {
    AdoptLeftoverContainers(*docker_runtime, pool, *secret);
  }

  asio::io_context io(config.threads);
  const gateway::ServerLimits limits{
      .max_body_bytes = config.max_body_bytes,
      .max_header_bytes = config.max_header_bytes,
      .read_timeout = config.read_timeout,
  };
  gateway::McpHandler mcp_handler(
      pool, *secret, {.backend_idle_timeout = config.backend_timeout});
  gateway::AdminHandler admin_handler(pool, warm_pool.get());
  gateway::HttpServer mcp_server(io, "MCP listener", mcp_handler, limits);
  gateway::HttpServer admin_server(io, "admin listener", admin_handler, limits);

  auto mcp_endpoint = mcp_server.Listen(config.listen);
  if (!mcp_endpoint.ok()) {
    spdlog::critical("{}", std::string(mcp_endpoint.status().message()));
    return 1;
  }
  auto admin_endpoint = admin_server.Listen(config.admin_listen);
  if (!admin_endpoint.ok()) {
    spdlog::critical("{}", std::string(admin_endpoint.status().message()));
    return 1;
  }
  mcp_server.Start();
  admin_server.Start();
  pool.StartReaper();
  // Started once the listeners are up: the workers' start-up competes with
  // nothing the gateway itself needs.
  if (warm_pool) warm_pool->Start();
  if (auto status = WriteListenFile(config.state_dir, Describe(*mcp_endpoint),
                                    Describe(*admin_endpoint));
      !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }
  spdlog::info("MCP endpoint http://{}/mcp (send the DSN in X-DBHub-DSN)",
               Describe(*mcp_endpoint));
  spdlog::info("admin API http://{}/admin/instances",
               Describe(*admin_endpoint));
  spdlog::info(
      "idle timeout {} ms, at most {} instances, warm pool of {}, state in {}",
      config.idle_timeout.count(), config.max_instances,
      warm_pool ? config.warm_pool : 0, config.state_dir.string());
  if (docker_runtime != nullptr) {
    spdlog::info("runtime docker: engine {}, image {}",
                 config.docker_engine.display, config.image);
  }

  std::thread shutdown_thread;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signal);
    shutdown_thread = std::thread([&] {
      ShutDown(config, io, mcp_server, admin_server, pool);
    });
  });

  std::vector<std::thread> workers;
  for (int i = 1; i < config.threads; ++i) {
    workers.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& worker : workers) worker.join();
  if (shutdown_thread.joinable()) shutdown_thread.join();
  std::filesystem::remove(config.state_dir / "listen.json", ignored);
  spdlog::info("stopped");
  return 0;
}

}  // namespace mcpgw
