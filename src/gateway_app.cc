#include "src/gateway_app.h"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/admin/admin_handler.h"
#include "gateway/admin/console_assets.h"
#include "gateway/admin/console_feed.h"
#include "gateway/admin/tenant_admin.h"
#include "gateway/auth/oauth_verifier.h"
#include "gateway/http/blocking_work.h"
#include "gateway/http/io_threads.h"
#include "gateway/http/http_server.h"
#include "gateway/http/request_guard.h"
#include "gateway/mcp/default_credentials.h"
#include "gateway/mcp/mcp_handler.h"
#include "gateway/observability/metrics.h"
#include "gateway/observability/structured_log.h"
#include "gateway/observability/webhooks.h"
#include "common/clock.h"
#include "runtime/instance_pool.h"
#include "runtime/kube_ended_sessions.h"
#include "src/kube_tenant_setup.h"
#include "src/oauth_setup.h"
#include "src/runtime_setup.h"
#include "src/shutdown.h"
#include "src/startup_secrets.h"
#include "src/state_dir.h"
#include "src/tenant_setup.h"

// RunGateway builds the gateway in four steps, each an object that outlives
// the ones built after it (C++ destroys them in the opposite order), so the
// order in which things go at the end is the order of the declarations:
//   1. Observers: metrics, console feed, lifecycle log, webhooks (the pool
//      reports to them until it is gone).
//   2. InstanceRuntime (src/runtime_setup.h): what starts instances.
//   3. Engine: the I/O threads' loops, the launch threads, the instance pool.
//   4. Handlers: tenants, admission, MCP and admin handlers, listeners.
// Then Serve runs the loops until a signal starts ShutDown (src/shutdown.h).
// Before all of them, the one clock (common/clock.h) every part that reads
// the time is given: it outlives them all.

namespace mcpgw {
namespace {

namespace asio = boost::asio;

std::string Describe(const gateway::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6()
             ? text::Cat("[", address.to_string(), "]:", endpoint.port())
             : text::Cat(address.to_string(), ":", endpoint.port());
}

int Fail(const absl::Status& status) {
  spdlog::critical("{}", std::string(status.message()));
  return 1;
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

// Step 1. What the pool reports to: built before it, so they outlive it.
struct Observers {
  Observers(const Config& config, const StartupSecrets& secrets,
            const common::Clock& clock)
      : console_feed(clock),
        webhooks({.urls = config.webhooks,
                  .secret = secrets.webhook_secret,
                  .timeout = config.webhook_timeout,
                  .capacity_threshold = config.capacity_threshold},
                 clock, &metrics) {
    if (config.console_dir.empty()) return;
    auto loaded = gateway::ConsoleAssets::Load(config.console_dir);
    if (loaded.ok()) {
      console_assets = *std::move(loaded);
    } else {
      spdlog::warn("operator console off: {}",
                   std::string(loaded.status().message()));
    }
  }

  gateway::GatewayMetrics metrics;
  // The operator console: its live feed and its files (when built).
  gateway::ConsoleFeed console_feed;
  std::optional<gateway::ConsoleAssets> console_assets;
  logs::LifecycleLogger lifecycle_log;
  gateway::WebhookNotifier webhooks;
};

// Step 3. The event loop and the pool, in this order:
//  - the loop before the pool: a runtime thread finishing an instance's
//    exit may still drop that instance's idle sockets (through the pool's
//    gone-listener) while the pool is destroyed, and those sockets belong
//    to the loop;
//  - the launch threads before the pool, and joined before it goes
//    (~Engine): new instances are launched (fork and exec, config files
//    written, the engine's or cluster's API called) on threads of their
//    own, never on the I/O thread whose request asked for one.
// The work the loop still holds when it stops (frames of requests the grace
// period cut, with their leases) goes the other way round, before the pool:
// ~Handlers destroys it.
struct Engine {
  Engine(const Config& config, InstanceRuntime& instances,
         const common::Clock& clock)
      : io(config.threads),
        launches(gateway::kBlockingThreads),
        pool(*instances.runtime, clock,
             {.idle_timeout = config.idle_timeout,
              .max_instances = config.max_instances,
              .launch_on = [this](absl::AnyInvocable<void()> launch) {
                asio::post(launches, std::move(launch));
              }}) {}
  ~Engine() { launches.join(); }

  gateway::IoThreads io;
  asio::thread_pool launches;
  runtime::InstancePool pool;
};

// Step 4. Everything that serves requests, in the order it is built.
struct Handlers {
  explicit Handlers(gateway::IoThreads& loops) : io(loops) {}
  // Before anything here goes: the blocking work finishes (a
  // registry write is not cut half way), then the handlers still pending in
  // the stopped loop are destroyed, unrun, while the servers, handlers,
  // request guard and pool they use are alive. A lease released then
  // finds its instance stopped (StopAll ran) and only updates the pool's
  // counts.
  ~Handlers() {
    blocking.join();
    io.DestroyPendingWork();
    revision_drainer.Set(nullptr);  // the watches outlive the tenant admin
  }

  gateway::IoThreads& io;
  // Blocking work (tenant registry writes, /proc reads, engine log fetches,
  // OAuth key fetches: gateway/http/blocking_work.h), off the I/O threads.
  asio::thread_pool blocking{gateway::kBlockingThreads};
  // Tenants and policies: registry, DSN rules, limits (docs/tenants.md).
  TenantSetup tenants;
  std::optional<gateway::RequestGuard> request_guard;
  // --tenants-from=kubernetes: Tenant and Database resources are the registry.
  RevisionDrainer revision_drainer;
  std::unique_ptr<runtime::KubeTenantDirectory> kube_tenants;
  std::optional<gateway::TenantAdmin> tenant_admin;
  std::optional<gateway::McpHandler> mcp_handler;
  // The OAuth listener (docs/oauth.md): a handler of its own, on the same
  // pool, taking only the issuers' access tokens; --listen stays as it is.
  std::unique_ptr<gateway::OAuthVerifier> oauth_verifier;
  std::optional<gateway::McpHandler> oauth_handler;
  std::optional<gateway::HttpServer> oauth_server;
  // Replicas share the sessions ended with DELETE through the cluster,
  // which also keeps them across restarts.
  std::unique_ptr<runtime::KubeEndedSessions> ended_sessions;
  std::optional<gateway::AdminHandler> admin_handler;
  // Requests without credentials reach the --default-dsn-file backend.
  std::optional<gateway::DefaultCredentialsHandler> default_credentials;
  std::optional<gateway::HttpServer> mcp_server;
  std::optional<gateway::HttpServer> admin_server;
  std::atomic<bool> stopping{false};

  const policies::TenantDirectory* TenantDirectory() const {
    return kube_tenants ? static_cast<const policies::TenantDirectory*>(
                              kube_tenants.get())
                        : tenants.registry.get();
  }
};

// Both MCP listeners' handlers alike, but for what OAuth adds.
gateway::McpHandlerOptions HandlerOptions(
    const Config& config, const std::string& secret,
    std::optional<gateway::OAuthResource> oauth, asio::thread_pool& blocking) {
  return gateway::McpHandlerOptions{
      .key_secret = secret,
      .limits = {.backend_idle_timeout = config.backend_timeout,
                 .sse_keepalive = config.protocol.sse_keepalive},
      .origin_policy = {.allowed_hosts = config.protocol.allowed_hosts,
                        .allowed_origins = config.protocol.allowed_origins},
      .session_ttl = config.protocol.session_ttl,
      .replay = {.max_bytes = config.protocol.replay_buffer_bytes,
                 .max_age = config.protocol.replay_buffer_age},
      .oauth = std::move(oauth),
      .blocking = &blocking};
}

// Both handlers' sessions ended with DELETE are published to the cluster,
// and those ended on other replicas are marked here.
void ShareEndedSessions(const Config& config, const std::string& secret,
                        runtime::KubeRuntime& kube, const common::Clock& clock,
                        Handlers& built) {
  auto& sessions = built.mcp_handler->sessions();
  // The OAuth listener's sessions too (nonces are random: marking a nonce
  // ended in both managers is harmless).
  gateway::SessionManager* oauth_sessions =
      built.oauth_handler ? &built.oauth_handler->sessions() : nullptr;
  built.ended_sessions = std::make_unique<runtime::KubeEndedSessions>(
      kube.client(), config.kube.namespace_name, GatewayId(secret),
      [&sessions, oauth_sessions](const std::string& nonce,
                                  std::int64_t expires_at) {
        sessions.MarkEnded(nonce, expires_at);
        if (oauth_sessions != nullptr) oauth_sessions->MarkEnded(nonce, expires_at);
      },
      clock);
  auto publish = [ended = built.ended_sessions.get()](const std::string& nonce,
                                                      std::int64_t expires_at) {
    ended->Publish(nonce, expires_at);
  };
  sessions.SetEndListener(publish);
  if (oauth_sessions != nullptr) oauth_sessions->SetEndListener(publish);
}

absl::StatusOr<std::unique_ptr<Handlers>> BuildHandlers(
    const Config& config, const StartupSecrets& secrets, Engine& engine,
    Observers& observers, InstanceRuntime& instances, const common::Clock& clock) {
  auto built = std::make_unique<Handlers>(engine.io);
  auto& pool = engine.pool;
  const std::string& secret = secrets.secret;
  auto tenants = OpenTenants(config, clock);
  if (!tenants.ok()) return tenants.status();
  built->tenants = *std::move(tenants);
  const auto& rules = built->tenants.rules;
  built->request_guard.emplace(pool, rules, clock, GuardOptionsFrom(config));
  if (config.tenants_from == "kubernetes") {
    auto opened = OpenKubeTenants(config, rules, secret, built->revision_drainer);
    if (!opened.ok()) return opened.status();
    built->kube_tenants = *std::move(opened);
    built->tenant_admin.emplace(
        DeclaredTenantsOf(*built->kube_tenants, config.kube.namespace_name),
        pool, rules, secret);
  } else {
    built->tenant_admin.emplace(*built->tenants.registry, pool, rules, secret);
  }
  built->revision_drainer.Set(&*built->tenant_admin);

  built->mcp_handler.emplace(pool, clock,
                             HandlerOptions(config, secret, std::nullopt,
                                            built->blocking),
                             &observers.metrics);
  built->mcp_handler->SetTenantPolicy(
      {.allow_dsn_requests = config.allow_dsn_requests,
       .dsn_api_key = built->tenants.dsn_api_key,
       .dsn_rules = &rules,
       .tenants = built->TenantDirectory(),
       .oauth = nullptr},
      &*built->request_guard);
  const gateway::ServerLimits limits{
      .max_body_bytes = config.max_body_bytes,
      .max_header_bytes = config.max_header_bytes,
      .read_timeout = config.read_timeout,
  };
  if (config.oauth.enabled()) {
    built->oauth_verifier = MakeOAuthVerifier(config.oauth, clock);
    built->oauth_handler.emplace(
        pool, clock,
        HandlerOptions(config, secret, OAuthResourceFrom(config.oauth),
                       built->blocking),
        &observers.metrics);
    built->oauth_handler->SetTenantPolicy(
        {.allow_dsn_requests = false,
         .dsn_api_key = {},
         .dsn_rules = &rules,
         .tenants = built->TenantDirectory(),
         .oauth = built->oauth_verifier.get()},
        &*built->request_guard);
    built->oauth_server.emplace(engine.io, "OAuth listener", *built->oauth_handler,
                                limits);
  }
  if (instances.kube != nullptr) {
    ShareEndedSessions(config, secret, *instances.kube, clock, *built);
  }

  auto& mcp_handler = *built->mcp_handler;
  auto& warm_pool = instances.warm_pool;
  built->admin_handler.emplace(
      pool, observers.metrics, clock,
      gateway::AdminOptions{
          .admin_token = secrets.admin_token,
          .config = EffectiveConfigJson(secrets.effective),
          .readiness = [&config, stopping = &built->stopping] {
            return Readiness(config, *stopping);
          },
          .target_utilisation = config.capacity_threshold,
          .warm_pool = warm_pool ? std::function<runtime::WarmPoolStats()>(
                                       [&warm_pool] { return warm_pool->Stats(); })
                                 : nullptr,
          .sessions = [&mcp_handler] { return mcp_handler.SessionsJson(); },
          .tenants = &*built->tenant_admin,
          .console = observers.console_assets ? &*observers.console_assets : nullptr,
          .feed = &observers.console_feed},
      built->blocking);
  observers.metrics.SetSessionCount(
      [&mcp_handler] { return mcp_handler.LegacySessionCount(); });
  gateway::RequestHandler* mcp_entry = &mcp_handler;
  if (!config.default_dsn.empty()) {
    built->default_credentials.emplace(mcp_handler, config.default_dsn);
    mcp_entry = &*built->default_credentials;
  }
  built->mcp_server.emplace(engine.io, "MCP listener", *mcp_entry, limits);
  built->admin_server.emplace(engine.io, "admin listener", *built->admin_handler,
                              limits);
  return built;
}

// The pool's observers see it from now on.
void WatchPool(Observers& observers, InstanceRuntime& instances,
               runtime::InstancePool& pool) {
  observers.metrics.SetPoolStats([&pool] { return pool.Stats(); });
  if (auto* warm_pool = instances.warm_pool.get()) {
    observers.metrics.SetWarmPoolStats([warm_pool] { return warm_pool->Stats(); });
  }
  pool.AddObserver(&observers.metrics);
  pool.AddObserver(&observers.lifecycle_log);
  pool.AddObserver(&observers.webhooks);
  pool.AddObserver(&observers.console_feed);
  observers.webhooks.Start();
}

void LogWhatServes(const Config& config, const StartupSecrets& secrets,
                   const InstanceRuntime& instances, const std::string& mcp_address,
                   const std::string& admin_address) {
  spdlog::info("MCP endpoint http://{}/mcp (send the DSN in X-DBHub-DSN)",
               mcp_address);
  spdlog::info("admin API http://{}/admin/instances (token in {})", admin_address,
               secrets.effective.admin_token_file.string());
  spdlog::info(
      "idle timeout {} ms, at most {} instances, warm pool of {}, state in {}",
      config.idle_timeout.count(), config.max_instances,
      instances.warm_pool ? config.warm_pool : 0, config.state_dir.string());
  if (!config.server_command.empty()) {
    spdlog::info("instances run {} (ready on GET {} answering {})",
                 config.server_command, config.server_readiness_path,
                 config.server_readiness_any_status ? "anything" : "200");
  }
  if (!config.default_dsn.empty()) {
    spdlog::info("requests without credentials use the DSN in {}",
                 config.default_dsn_file.string());
  }
  if (instances.docker != nullptr) {
    spdlog::info("runtime docker: engine {}, image {}",
                 config.docker_engine.display, config.image);
  }
}

// Listens, starts the reaper and the warm pool, runs the --threads I/O
// threads' loops until ShutDown stops them, then waits for the work
// handed to other threads.
int Serve(const Config& config, const StartupSecrets& secrets,
          InstanceRuntime& instances, Engine& engine, Observers& observers,
          Handlers& handlers, const common::Clock& clock) {
  auto mcp_endpoint = handlers.mcp_server->Listen(config.listen);
  if (!mcp_endpoint.ok()) return Fail(mcp_endpoint.status());
  auto admin_endpoint = handlers.admin_server->Listen(config.admin_listen);
  if (!admin_endpoint.ok()) return Fail(admin_endpoint.status());
  std::string oauth_address;
  if (handlers.oauth_server) {
    auto oauth_endpoint = handlers.oauth_server->Listen(config.oauth.listen);
    if (!oauth_endpoint.ok()) return Fail(oauth_endpoint.status());
    oauth_address = Describe(*oauth_endpoint);
    handlers.oauth_server->Start();
    spdlog::info("OAuth MCP endpoint http://{}/mcp (access tokens of {} "
                 "issuer(s); tenant from claim '{}')",
                 oauth_address, config.oauth.issuers.size(),
                 config.oauth.tenant_claim);
  }
  handlers.mcp_server->Start();
  handlers.admin_server->Start();
  engine.pool.StartReaper();
  // Started once the listeners are up: the workers' start-up competes with
  // nothing the gateway itself needs.
  if (instances.warm_pool) instances.warm_pool->Start();
  if (auto status = WriteListenFile(config.state_dir, Describe(*mcp_endpoint),
                                    Describe(*admin_endpoint), oauth_address);
      !status.ok()) {
    return Fail(status);
  }
  LogWhatServes(config, secrets, instances, Describe(*mcp_endpoint),
                Describe(*admin_endpoint));

  std::thread shutdown_thread;
  asio::signal_set signals(engine.io.main(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping (grace {} ms)", signal,
                 config.shutdown_grace.count());
    handlers.stopping = true;
    shutdown_thread = std::thread([&] {
      ShutDown(config, {.io = engine.io,
                        .mcp_server = *handlers.mcp_server,
                        .mcp_handler = *handlers.mcp_handler,
                        .oauth_server = handlers.oauth_server ? &*handlers.oauth_server
                                                              : nullptr,
                        .oauth_handler = handlers.oauth_handler
                                             ? &*handlers.oauth_handler
                                             : nullptr,
                        .admin_server = *handlers.admin_server,
                        .pool = engine.pool,
                        .webhooks = observers.webhooks,
                        .clock = clock});
    });
  });

  engine.io.Start();
  engine.io.Join();
  // Work already handed over finishes (a launch queued after StopAll fails
  // its waiters without starting anything); what it posts back to the
  // stopped loop is destroyed, unrun, with the loop's other pending work
  // (~Handlers).
  engine.launches.join();
  if (shutdown_thread.joinable()) shutdown_thread.join();
  std::error_code ignored;
  std::filesystem::remove(config.state_dir / "listen.json", ignored);
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int RunGateway(const Config& config) {
  auto secret = LoadKeySecret(config);
  if (!secret.ok()) return Fail(secret.status());
  if (config.runtime == "kubernetes" && config.kube.cleanup) {
    return RunKubeCleanup(config, *secret);
  }
  auto secrets = LoadStartupSecrets(config, *std::move(secret));
  if (!secrets.ok()) return Fail(secrets.status());

  // The only clock that is not a test's: declared first, it outlives all.
  const common::SystemClock clock;
  Observers observers(config, *secrets, clock);
  auto instances = BuildInstanceRuntime(config, secrets->secret, clock);
  if (!instances.ok()) return Fail(instances.status());
  Engine engine(config, **instances, clock);
  AdoptLeftovers(**instances, engine.pool, secrets->secret);
  WatchPool(observers, **instances, engine.pool);
  auto handlers =
      BuildHandlers(config, *secrets, engine, observers, **instances, clock);
  if (!handlers.ok()) return Fail(handlers.status());
  return Serve(config, *secrets, **instances, engine, observers, **handlers,
               clock);
}

}  // namespace mcpgw
