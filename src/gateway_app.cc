#include "src/gateway_app.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/signal_set.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "gateway/admin_handler.h"
#include "gateway/blocking_work.h"
#include "gateway/default_credentials.h"
#include "gateway/event_loop.h"
#include "gateway/http_server.h"
#include "gateway/mcp_handler.h"
#include "policies/instance_key.h"
#include "policies/target.h"
#include "gateway/metrics.h"
#include "gateway/structured_log.h"
#include "gateway/webhooks.h"
#include "gateway/console_assets.h"
#include "gateway/console_feed.h"
#include "runtime/clock.h"
#include "runtime/container_adoption.h"
#include "runtime/docker_runtime.h"
#include "runtime/instance_pool.h"
#include "policies/random_token.h"
#include "runtime/kube_ended_sessions.h"
#include "runtime/kube_runtime.h"
#include "runtime/kube_shared_use.h"
#include "runtime/process_runtime.h"
#include "runtime/state_records.h"
#include "runtime/warm_pool.h"
#include "src/oauth_setup.h"
#include "src/sandbox_setup.h"
#include "src/state_dir.h"
#include "absl/cleanup/cleanup.h"
#include "src/kube_tenant_setup.h"
#include "src/tenant_setup.h"
#include "policies/text.h"

namespace mcpgw {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::milliseconds kLeftoverGrace{3'000};
constexpr std::chrono::milliseconds kInstanceStopWait{8'000};
constexpr std::chrono::milliseconds kWebhookFlush{2'000};
constexpr std::chrono::seconds kDrainReportEvery{1};

std::string Describe(const gateway::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6()
             ? text::Cat("[", address.to_string(), "]:", endpoint.port())
             : text::Cat(address.to_string(), ":", endpoint.port());
}

// Stops accepting, lets in-flight requests finish within the grace period
// (reporting progress every second), stops every instance, sends what the
// webhooks still have queued, then ends the event loop.
void ShutDown(const Config& config, asio::io_context& io,
              gateway::HttpServer& mcp_server, gateway::McpHandler& mcp_handler,
              gateway::HttpServer& admin_server, runtime::InstancePool& pool,
              gateway::WebhookNotifier& webhooks) {
  // The admin listener stays up while requests drain, so that /readyz can
  // say 503 and operators can watch; it closes once the instances go.
  mcp_server.StopAccepting();
  // Streams that only end when their client goes: end them now, telling
  // their clients when to reconnect (to another replica, or to this gateway
  // once it is back).
  const auto ended = mcp_handler.FinishStreams();
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "streams_ended"}, {"streams", ended}});
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + config.shutdown_grace;
  auto next_report = start;
  while (mcp_server.active_requests() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    if (std::chrono::steady_clock::now() >= next_report) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      logs::Event(spdlog::level::info, "shutdown",
                  {{"phase", "draining"},
                   {"requests_in_flight", mcp_server.active_requests()},
                   {"instances", pool.size()},
                   {"grace_left_ms", left.count()}});
      next_report += kDrainReportEvery;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (mcp_server.active_requests() > 0) {
    spdlog::warn("{} requests still in flight after the grace period",
                 mcp_server.active_requests());
  }
  admin_server.StopAccepting();
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "stopping_instances"}, {"instances", pool.size()}});
  if (!pool.StopAll(kInstanceStopWait)) {
    spdlog::warn("some instances did not stop in time");
  }
  webhooks.Stop(kWebhookFlush);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "done"}, {"took_ms", took.count()}});
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
                  // Private (0700), beside the rest of the gateway's state;
                  // only each instance's own directory is mounted.
                  .config_root =
                      (config.state_dir / "containers").lexically_normal(),
                  .gateway_id = GatewayId(secret),
                  .start_timeout = config.start_timeout,
              });
}

// Recomputes an instance's target from the DSN a leftover container or pod
// holds, as a request with that DSN would have it.
runtime::ResolveLeftoverDsn LeftoverResolver(const std::string& secret) {
  return [&secret](const std::string& dsn)
             -> std::optional<runtime::AdoptionTarget> {
    policies::RequestCredentials credentials;
    credentials.dsn_header = dsn;
    credentials.dsn_header_count = 1;
    auto decision = policies::ResolveTarget(credentials, secret);
    auto* target = std::get_if<policies::Target>(&decision);
    if (target == nullptr) return std::nullopt;
    return runtime::AdoptionTarget{target->key, target->dsn.redacted,
                                   target->dsn.secrets};
  };
}

void AdoptLeftoverContainers(runtime::DockerRuntime& docker,
                             runtime::InstancePool& pool,
                             const std::string& secret) {
  auto result =
      runtime::AdoptOrRemoveLeftovers(docker, pool, LeftoverResolver(secret));
  if (!result.ok()) {
    spdlog::error("cannot look for containers left by an earlier run: {}",
                  std::string(result.status().message()));
  } else if (result->adopted + result->removed > 0) {
    spdlog::warn("containers left by an earlier run: {} adopted, {} removed",
                 result->adopted, result->removed);
  }
}

// The kubernetes runtime, after checking that the API server answers and
// that this gateway may do what it needs in its namespace.
absl::StatusOr<std::unique_ptr<runtime::KubeRuntime>> MakeKubeRuntime(
    const Config& config, const std::string& secret) {
  auto credentials = config.kube.kubeconfig.empty()
                         ? runtime::InClusterCredentials()
                         : runtime::LoadKubeconfig(config.kube.kubeconfig);
  if (!credentials.ok()) return credentials.status();
  spdlog::info("runtime kubernetes: {}, namespace {}, image {}",
               credentials->source, config.kube.namespace_name, config.image);
  auto kube = std::make_unique<runtime::KubeRuntime>(
      std::make_shared<const runtime::KubeClient>(*std::move(credentials)),
      runtime::KubeRuntimeOptions{
          .namespace_name = config.kube.namespace_name,
          .image = config.image,
          .pull_policy = config.kube.pull_policy,
          .resources = config.kube.resources,
          .volumes = config.kube.volumes,
          .gateway_id = GatewayId(secret),
          .start_timeout = config.start_timeout,
          // In a cluster the hostname is the gateway pod's name.
          .replica_id = runtime::ReplicaId(
              std::getenv("HOSTNAME") != nullptr ? std::getenv("HOSTNAME") : "",
              policies::RandomHex(3)),
          .idle_window = config.idle_timeout,
      });
  if (auto access = kube->CheckAccess(); !access.ok()) {
    if (absl::IsUnavailable(access)) {
      // Not fatal: requests fail with a clear error until it is back.
      spdlog::error("{}", std::string(access.message()));
    } else {
      return access;
    }
  }
  return kube;
}

// --kube-cleanup: deletes every pod and Secret this gateway id made in its
// namespace (a Helm uninstall hook), then exits.
int RunKubeCleanup(const Config& config, const std::string& secret) {
  auto kube = MakeKubeRuntime(config, secret);
  if (!kube.ok()) {
    spdlog::critical("{}", std::string(kube.status().message()));
    return 1;
  }
  auto removed = (*kube)->RemoveEverything();
  if (!removed.ok()) {
    spdlog::critical("{}", std::string(removed.status().message()));
    return 1;
  }
  spdlog::info("kube cleanup: {} pod(s), {} Secret(s) and {} ended-session "
               "ConfigMap(s) deleted in namespace {}",
               removed->pods, removed->secrets, removed->ended_sessions,
               config.kube.namespace_name);
  return 0;
}

// Ready when not shutting down and DBHub (or the --server-command) can be
// started.
absl::Status Readiness(const Config& config, const std::atomic<bool>& stopping) {
  if (stopping.load()) return absl::UnavailableError("shutting down");
  if (config.runtime == "process" && !config.server_command.empty()) {
    if (access(config.server_command.c_str(), X_OK) != 0) {
      return absl::UnavailableError("the --server-command is not executable");
    }
  } else if (config.runtime == "process" &&
      access(config.node_path.c_str(), X_OK) != 0) {
    return absl::UnavailableError("the Node.js binary is not executable");
  }
  if (config.runtime == "process" && config.server_command.empty() &&
      access(config.dbhub_entry.c_str(), R_OK) != 0) {
    return absl::UnavailableError("DBHub's entry script is not readable");
  }
  if (access((config.state_dir / "run").c_str(), W_OK) != 0 &&
      access(config.state_dir.c_str(), W_OK) != 0) {
    return absl::UnavailableError("the state directory is not writable");
  }
  return absl::OkStatus();
}

}  // namespace

int RunGateway(const Config& config) {
  if (auto status = PrepareStateDir(config.state_dir); !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }
  auto secret = config.secret_file.empty()
                    ? LoadOrCreateSecret(config.state_dir)
                    : LoadOrCreateTokenFile(config.secret_file, /*generate=*/false);
  if (!secret.ok()) {
    spdlog::critical("{}", std::string(secret.status().message()));
    return 1;
  }
  if (config.runtime == "kubernetes" && config.kube.cleanup) {
    return RunKubeCleanup(config, *secret);
  }
  Config effective = config;
  const bool generate_admin_token = config.admin_token_file.empty();
  if (generate_admin_token) {
    effective.admin_token_file = config.state_dir / "admin-token";
  }
  auto admin_token =
      LoadOrCreateTokenFile(effective.admin_token_file, generate_admin_token);
  if (!admin_token.ok()) {
    spdlog::critical("{}", std::string(admin_token.status().message()));
    return 1;
  }
  std::string webhook_secret;
  if (!config.webhooks.empty()) {
    const bool generate = config.webhook_secret_file.empty();
    if (generate) {
      effective.webhook_secret_file = config.state_dir / "webhook-secret";
    }
    auto loaded = LoadOrCreateTokenFile(effective.webhook_secret_file, generate);
    if (!loaded.ok()) {
      spdlog::critical("{}", std::string(loaded.status().message()));
      return 1;
    }
    webhook_secret = *std::move(loaded);
  }

  // Observers of the pool: declared before it so that they outlive it.
  gateway::GatewayMetrics metrics;
  // The operator console: its files (when built) and its live feed.
  gateway::ConsoleFeed console_feed;
  std::optional<gateway::ConsoleAssets> console_assets;
  if (!config.console_dir.empty()) {
    auto loaded = gateway::ConsoleAssets::Load(config.console_dir);
    if (loaded.ok()) {
      console_assets = *std::move(loaded);
    } else {
      spdlog::warn("operator console off: {}",
                   std::string(loaded.status().message()));
    }
  }
  logs::LifecycleLogger lifecycle_log;
  gateway::WebhookNotifier webhooks(
      {.urls = config.webhooks,
       .secret = webhook_secret,
       .timeout = config.webhook_timeout,
       .capacity_threshold = config.capacity_threshold},
      &metrics);

  runtime::StateRecords records(config.state_dir / "instances");
  if (int stopped = records.StopLeftovers(kLeftoverGrace); stopped > 0) {
    spdlog::warn("stopped {} DBHub process(es) left by an earlier run", stopped);
  }
  std::error_code ignored;
  // Where an earlier version kept the instances' directories.
  std::filesystem::remove_all(config.state_dir / "run", ignored);
  runtime::InstanceSandbox sandbox;
  if (config.runtime == "process") {
    auto made = SetUpInstanceSandbox(config);
    if (!made.ok()) {
      spdlog::critical("{}", std::string(made.status().message()));
      return 1;
    }
    sandbox = *std::move(made);
  }

  // The warm pool serves the process runtime; containers start their own way.
  // Its workers are pre-loaded DBHubs: no use for another server.
  const bool custom_server = !config.server_command.empty();
  if (custom_server && config.warm_pool > 0) {
    spdlog::info("warm pool off: --server-command {} is not DBHub",
                 config.server_command);
  }
  std::unique_ptr<runtime::WarmPool> warm_pool;
  if (config.runtime == "process" && config.warm_pool > 0 && !custom_server) {
    warm_pool = std::make_unique<runtime::WarmPool>(runtime::WarmPoolOptions{
        .node_path = config.node_path,
        .preloader_path = config.warm_preloader,
        .dbhub_entry = config.dbhub_entry,
        .work_root = config.sandbox.instance_dir,
        .size = config.warm_pool,
        .warm_timeout = config.start_timeout,
        .records = &records,
        .sandbox = sandbox,
    });
  }
  std::unique_ptr<runtime::Runtime> instance_runtime;
  runtime::DockerRuntime* docker_runtime = nullptr;
  runtime::KubeRuntime* kube_runtime = nullptr;
  if (config.runtime == "kubernetes") {
    auto kube = MakeKubeRuntime(config, *secret);
    if (!kube.ok()) {
      spdlog::critical("{}", std::string(kube.status().message()));
      return 1;
    }
    kube_runtime = kube->get();
    instance_runtime = *std::move(kube);
  } else if (config.runtime == "docker") {
    auto docker = MakeDockerRuntime(config, *secret);
    docker_runtime = docker.get();
    instance_runtime = std::move(docker);
  } else {
    instance_runtime = std::make_unique<runtime::ProcessRuntime>(
        runtime::ProcessRuntimeOptions{
            .node_path = config.node_path,
            .dbhub_entry = config.dbhub_entry,
            .work_root = config.sandbox.instance_dir,
            .start_timeout = config.start_timeout,
            .liveness_timeout = config.liveness_timeout,
            .records = &records,
            .warm_pool = warm_pool.get(),
            .server_command =
                custom_server
                    ? std::optional<runtime::ServerCommand>(
                          runtime::ServerCommand{config.server_command,
                                                 config.server_args})
                    : std::nullopt,
            .extra_env = config.server_env,
            .readiness = {.path = config.server_readiness_path,
                          .any_status = config.server_readiness_any_status},
            .sandbox = sandbox,
        });
  }
  // Before the pool: a runtime thread finishing an instance's exit may still
  // drop that instance's idle sockets (through the pool's gone-listener)
  // while the pool is destroyed, and those sockets belong to this context.
  // The work the loop still holds when it stops (frames of requests the
  // grace period cut, with their leases) must go the other way round,
  // before the pool, its clock and the handlers: `pending_work` below.
  gateway::EventLoop io(config.threads);
  runtime::SystemClock clock;
  // New instances are launched (fork and exec, config files written, the
  // engine's or cluster's API called) on threads of their own, never on the
  // I/O thread whose request asked for one. Joined below, with the
  // blocking pool, once the I/O threads have stopped.
  asio::thread_pool launches(gateway::kBlockingThreads);
  runtime::InstancePool pool(
      *instance_runtime, clock,
      {.idle_timeout = config.idle_timeout,
       .max_instances = config.max_instances,
       .launch_on = [&launches](absl::AnyInvocable<void()> launch) {
         asio::post(launches, std::move(launch));
       }});
  if (docker_runtime != nullptr) {
    AdoptLeftoverContainers(*docker_runtime, pool, *secret);
  }
  if (kube_runtime != nullptr) {
    auto result = runtime::AdoptOrRemoveLeftoverPods(*kube_runtime, pool,
                                                     LeftoverResolver(*secret));
    if (!result.ok()) {
      spdlog::error("cannot look for pods left by an earlier run: {}",
                    std::string(result.status().message()));
    } else if (result->adopted + result->removed > 0) {
      spdlog::warn("pods left by an earlier run: {} adopted, {} deleted",
                   result->adopted, result->removed);
    }
  }

  metrics.SetPoolStats([&pool] { return pool.Stats(); });
  if (warm_pool) {
    metrics.SetWarmPoolStats([&warm_pool] { return warm_pool->Stats(); });
  }
  pool.AddObserver(&metrics);
  pool.AddObserver(&lifecycle_log);
  pool.AddObserver(&webhooks);
  pool.AddObserver(&console_feed);
  webhooks.Start();
  std::atomic<bool> stopping{false};

  const gateway::ServerLimits limits{
      .max_body_bytes = config.max_body_bytes,
      .max_header_bytes = config.max_header_bytes,
      .read_timeout = config.read_timeout,
  };
  // Tenants and policies: registry, DSN rules, limits (docs/tenants.md).
  auto tenants = OpenTenants(config);
  if (!tenants.ok()) {
    spdlog::critical("{}", std::string(tenants.status().message()));
    return 1;
  }
  gateway::RequestGuard request_guard(pool, tenants->rules,
                                      GuardOptionsFrom(config));
  // --tenants-from=kubernetes: Tenant and Database resources are the registry.
  RevisionDrainer revision_drainer;
  std::unique_ptr<runtime::KubeTenantDirectory> kube_tenants;
  if (config.tenants_from == "kubernetes") {
    auto opened = OpenKubeTenants(config, tenants->rules, *secret, revision_drainer);
    if (!opened.ok()) {
      spdlog::critical("{}", std::string(opened.status().message()));
      return 1;
    }
    kube_tenants = *std::move(opened);
  }
  std::optional<gateway::TenantAdmin> tenant_admin_storage;
  if (kube_tenants) {
    tenant_admin_storage.emplace(
        DeclaredTenantsOf(*kube_tenants, config.kube.namespace_name), pool,
        tenants->rules, *secret);
  } else {
    tenant_admin_storage.emplace(*tenants->registry, pool, tenants->rules, *secret);
  }
  gateway::TenantAdmin& tenant_admin = *tenant_admin_storage;
  revision_drainer.Set(&tenant_admin);
  absl::Cleanup no_more_drains = [&revision_drainer] { revision_drainer.Set(nullptr); };
  // Both MCP listeners' handlers alike, but for what OAuth adds.
  const auto handler_options = [&](std::optional<gateway::OAuthResource> oauth) {
    return gateway::McpHandlerOptions{
        .key_secret = *secret,
        .limits = {.backend_idle_timeout = config.backend_timeout,
                   .sse_keepalive = config.protocol.sse_keepalive},
        .origin_policy = {.allowed_hosts = config.protocol.allowed_hosts,
                          .allowed_origins = config.protocol.allowed_origins},
        .session_ttl = config.protocol.session_ttl,
        .replay = {.max_bytes = config.protocol.replay_buffer_bytes,
                   .max_age = config.protocol.replay_buffer_age},
        .oauth = std::move(oauth)};
  };
  gateway::McpHandler mcp_handler(pool, handler_options(std::nullopt), &metrics);
  mcp_handler.SetTenantPolicy(
      {.allow_dsn_requests = config.allow_dsn_requests,
       .dsn_api_key = tenants->dsn_api_key,
       .dsn_rules = &tenants->rules,
       .tenants = kube_tenants ? static_cast<const policies::TenantDirectory*>(
                                     kube_tenants.get())
                               : tenants->registry.get(),
       .oauth = nullptr},
      &request_guard);
  // The OAuth listener (docs/oauth.md): a handler of its own, on the same
  // pool, taking only the issuers' access tokens; --listen stays as it is.
  std::unique_ptr<gateway::OAuthVerifier> oauth_verifier;
  std::optional<gateway::McpHandler> oauth_handler;
  std::optional<gateway::HttpServer> oauth_server;
  if (config.oauth.enabled()) {
    oauth_verifier = MakeOAuthVerifier(config.oauth);
    oauth_handler.emplace(pool, handler_options(OAuthResourceFrom(config.oauth)), &metrics);
    oauth_handler->SetTenantPolicy({.allow_dsn_requests = false,
                                    .dsn_api_key = {},
                                    .dsn_rules = &tenants->rules,
                                    .tenants = kube_tenants
                                                   ? static_cast<const policies::TenantDirectory*>(
                                                         kube_tenants.get())
                                                   : tenants->registry.get(),
                                    .oauth = oauth_verifier.get()},
                                   &request_guard);
    oauth_server.emplace(io, "OAuth listener", *oauth_handler, limits);
  }
  // Replicas share the sessions ended with DELETE through the cluster,
  // which also keeps them across restarts.
  std::unique_ptr<runtime::KubeEndedSessions> ended_sessions;
  if (kube_runtime != nullptr) {
    auto& sessions = mcp_handler.sessions();
    // The OAuth listener's sessions too (nonces are random: marking a
    // nonce ended in both managers is harmless).
    gateway::SessionManager* oauth_sessions =
        oauth_handler ? &oauth_handler->sessions() : nullptr;
    ended_sessions = std::make_unique<runtime::KubeEndedSessions>(
        kube_runtime->client(), config.kube.namespace_name, GatewayId(*secret),
        [&sessions, oauth_sessions](const std::string& nonce,
                                    std::int64_t expires_at) {
          sessions.MarkEnded(nonce, expires_at);
          if (oauth_sessions != nullptr) oauth_sessions->MarkEnded(nonce, expires_at);
        });
    auto publish = [ended = ended_sessions.get()](const std::string& nonce,
                                                  std::int64_t expires_at) {
      ended->Publish(nonce, expires_at);
    };
    sessions.SetEndListener(publish);
    if (oauth_sessions != nullptr) oauth_sessions->SetEndListener(publish);
  }
  // Blocking work of the admin API (tenant registry writes, /proc reads,
  // engine log fetches: gateway/blocking_work.h), off the I/O threads.
  // Joined below once the I/O threads have stopped, while the registry,
  // pool and handlers its work uses are alive.
  asio::thread_pool blocking(gateway::kBlockingThreads);
  gateway::AdminHandler admin_handler(
      pool, metrics,
      {.admin_token = *admin_token,
       .config = EffectiveConfigJson(effective),
       .readiness = [&config, &stopping] { return Readiness(config, stopping); },
       .target_utilisation = config.capacity_threshold,
       .warm_pool = warm_pool ? std::function<runtime::WarmPoolStats()>(
                                    [&warm_pool] { return warm_pool->Stats(); })
                              : nullptr,
       .sessions = [&mcp_handler] { return mcp_handler.SessionsJson(); },
       .tenants = &tenant_admin,
       .console = console_assets ? &*console_assets : nullptr,
       .feed = &console_feed},
      blocking);
  metrics.SetSessionCount(
      [&mcp_handler] { return mcp_handler.LegacySessionCount(); });
  // Requests without credentials reach the --default-dsn-file backend.
  gateway::DefaultCredentialsHandler default_credentials(mcp_handler,
                                                         config.default_dsn);
  gateway::RequestHandler& mcp_entry =
      config.default_dsn.empty()
          ? static_cast<gateway::RequestHandler&>(mcp_handler)
          : default_credentials;
  gateway::HttpServer mcp_server(io, "MCP listener", mcp_entry, limits);
  gateway::HttpServer admin_server(io, "admin listener", admin_handler, limits);
  // Destroyed before everything above it (whichever way this function
  // returns): the handlers still pending in the stopped loop are destroyed
  // here, unrun, while the servers, handlers, request guard, pool and
  // clock they use are alive. A lease released now finds its instance
  // stopped (StopAll ran) and only updates the pool's counts.
  struct PendingWork {
    gateway::EventLoop& io;
    ~PendingWork() { io.DestroyPendingWork(); }
  } pending_work{io};

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
  std::string oauth_address;
  if (oauth_server) {
    auto oauth_endpoint = oauth_server->Listen(config.oauth.listen);
    if (!oauth_endpoint.ok()) {
      spdlog::critical("{}", std::string(oauth_endpoint.status().message()));
      return 1;
    }
    oauth_address = Describe(*oauth_endpoint);
    oauth_server->Start();
    spdlog::info("OAuth MCP endpoint http://{}/mcp (access tokens of {} "
                 "issuer(s); tenant from claim '{}')",
                 oauth_address, config.oauth.issuers.size(),
                 config.oauth.tenant_claim);
  }
  mcp_server.Start();
  admin_server.Start();
  pool.StartReaper();
  // Started once the listeners are up: the workers' start-up competes with
  // nothing the gateway itself needs.
  if (warm_pool) warm_pool->Start();
  if (auto status = WriteListenFile(config.state_dir, Describe(*mcp_endpoint),
                                    Describe(*admin_endpoint), oauth_address);
      !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }
  spdlog::info("MCP endpoint http://{}/mcp (send the DSN in X-DBHub-DSN)",
               Describe(*mcp_endpoint));
  spdlog::info("admin API http://{}/admin/instances (token in {})",
               Describe(*admin_endpoint), effective.admin_token_file.string());
  spdlog::info(
      "idle timeout {} ms, at most {} instances, warm pool of {}, state in {}",
      config.idle_timeout.count(), config.max_instances,
      warm_pool ? config.warm_pool : 0, config.state_dir.string());
  if (custom_server) {
    spdlog::info("instances run {} (ready on GET {} answering {})",
                 config.server_command, config.server_readiness_path,
                 config.server_readiness_any_status ? "anything" : "200");
  }
  if (!config.default_dsn.empty()) {
    spdlog::info("requests without credentials use the DSN in {}",
                 config.default_dsn_file.string());
  }
  if (docker_runtime != nullptr) {
    spdlog::info("runtime docker: engine {}, image {}",
                 config.docker_engine.display, config.image);
  }

  std::thread shutdown_thread;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping (grace {} ms)", signal,
                 config.shutdown_grace.count());
    stopping = true;
    shutdown_thread = std::thread([&] {
      if (oauth_server) {
        oauth_server->StopAccepting();
        oauth_handler->FinishStreams();
      }
      ShutDown(config, io, mcp_server, mcp_handler, admin_server, pool,
               webhooks);
    });
  });

  std::vector<std::thread> workers;
  for (int i = 1; i < config.threads; ++i) {
    workers.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& worker : workers) worker.join();
  // Work already handed over finishes (a registry write is not cut half
  // way; a launch queued after StopAll fails its waiters without starting
  // anything); what it posts back to the stopped loop is destroyed, unrun,
  // with the loop's other pending work.
  launches.join();
  blocking.join();
  if (shutdown_thread.joinable()) shutdown_thread.join();
  std::filesystem::remove(config.state_dir / "listen.json", ignored);
  spdlog::info("stopped");
  return 0;
}

}  // namespace mcpgw
