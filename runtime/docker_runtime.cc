#include "runtime/docker_runtime.h"

#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "policies/random_token.h"
#include "policies/redaction.h"
#include "policies/text.h"
#include "runtime/container_exits.h"
#include "runtime/exit_reason.h"
#include "runtime/health_probe.h"
#include "runtime/output_buffer.h"
#include "runtime/process_spawn.h"

namespace mcpgw::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kProbeTimeout{250};
constexpr std::size_t kTokenBytes = 32;
// DBHub's last words, enough for its fatal error and the lines before it.
constexpr int kLogTailLines = 50;
// While a container starts: how often to ask the engine whether it still runs
// (DBHub that fails to start exits within a second or so).
constexpr std::chrono::milliseconds kStartInspectInterval{200};

// Shared by the handle the pool holds, the watcher thread and stop threads.
struct ContainerState {
  std::shared_ptr<const DockerEngine> engine;
  std::shared_ptr<ContainerExits> exits;
  DockerRuntimeOptions options;
  std::string instance_id;
  std::string image;
  Endpoint endpoint;
  policies::Redactor redactor;
  OutputBuffer output;
  std::shared_ptr<InstanceEvents> events;
  std::atomic<int> pid{0};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> exited{false};

  mutable std::mutex mutex;
  std::string container_id;  // guarded: set once created

  explicit ContainerState(const policies::Redactor& r) : redactor(r), output(r) {}

  std::string id() const {
    std::lock_guard lock(mutex);
    return container_id;
  }
};

bool EnvValue(const std::vector<std::string>& env, std::string_view name,
              std::string& out) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      out = entry.substr(name.size() + 1);
      return true;
    }
  }
  return false;
}

// Exit code of a container that ended, with the engine down or not.
struct Ending {
  int exit_code = 0;
  bool known = false;
  bool oom_killed = false;
};

// Blocks until the container is not running (noticed through the shared
// engine event stream).
Ending WaitForExit(ContainerState& state, const std::string& id) {
  const ContainerEnding ending = state.exits->WaitForExit(id);
  return Ending{ending.exit_code, ending.known, false};
}

void Finish(ContainerState& state, const std::string& id, Ending ending,
            std::string failure) {
  if (!id.empty()) {
    if (ending.known) {
      auto details = state.engine->Inspect(id);
      if (details.ok()) ending.oom_killed = details->oom_killed;
    }
    // DBHub's last words are the reason when it failed.
    if (auto logs = state.engine->Logs(id, kLogTailLines); logs.ok()) {
      state.output.Append(*logs);
    }
    state.output.Flush();
    if (auto removed = state.engine->Remove(id); !removed.ok()) {
      spdlog::warn("instance {}: {}", state.instance_id,
                   std::string(removed.message()));
    }
  }
  state.exited.store(true);
  std::string reason;
  if (state.stop_requested.load()) {
    reason = "stopped by the gateway";
  } else if (!failure.empty()) {
    reason = std::move(failure);
  } else if (ending.oom_killed) {
    reason = text::Cat("killed: out of memory (container limit ",
                       state.options.limits.memory_bytes / (1024 * 1024),
                       " MiB)");
  } else if (!ending.known) {
    reason = "its container was removed";
  } else {
    // As a wait status, so that the process runtime's wording applies.
    reason = SummarizeExit(state.output.Lines(), (ending.exit_code & 0xff) << 8);
  }
  state.events->OnExit(state.redactor.Apply(reason));
}

// Creates and starts the container. Empty id when it failed (`failure` says
// why).
std::string CreateAndStart(ContainerState& state, std::string body,
                           std::string& failure) {
  const std::string name =
      text::Cat("mcp-gateway-", state.options.gateway_id, "-", state.instance_id);
  auto created = state.engine->Create(name, body, state.image);
  // The body holds the DSN: gone as soon as it is not needed.
  std::fill(body.begin(), body.end(), '\0');
  if (!created.ok()) {
    failure = std::string(created.status().message());
    return "";
  }
  {
    std::lock_guard lock(state.mutex);
    state.container_id = *created;
  }
  if (state.stop_requested.load()) return *created;
  if (auto started = state.engine->Start(*created); !started.ok()) {
    failure = std::string(started.message());
    return *created;
  }
  auto details = state.engine->Inspect(*created);
  if (details.ok()) {
    if (details->pid) state.pid.store(*details->pid);
    if (!state.options.network.empty()) {
      if (details->network_ip.empty()) {
        failure = text::Cat("container has no address on network ",
                            state.options.network);
      }
      std::lock_guard lock(state.mutex);
      state.endpoint.host = details->network_ip;
    }
  }
  spdlog::info("instance {}: started container {} ({}) on {}:{}",
               state.instance_id, created->substr(0, 12), state.image,
               state.endpoint.host.empty() ? "?" : state.endpoint.host,
               state.endpoint.port);
  return *created;
}

// Watches one container from creation (or adoption) to removal: readiness
// within the start timeout, then its end (engine events), then logs and
// removal.
void Watch(std::shared_ptr<ContainerState> state, std::string create_body) {
  std::string failure;
  std::string id;
  if (!create_body.empty()) {
    id = CreateAndStart(*state, std::move(create_body), failure);
    if (id.empty() || !failure.empty() || state->stop_requested.load()) {
      Finish(*state, id, Ending{}, failure);
      return;
    }
  } else {
    id = state->id();
  }

  const auto deadline = SteadyClock::now() + state->options.start_timeout;
  auto next_inspect = SteadyClock::now() + kStartInspectInterval;
  bool ready = false;
  Ending ending;
  while (!state->stop_requested.load()) {
    std::string host;
    {
      std::lock_guard lock(state->mutex);
      host = state->endpoint.host;
    }
    if (ProbeHealthz(host, state->endpoint.port, kProbeTimeout)) {
      ready = true;
      state->events->OnReady();
      break;
    }
    // Whether it is still running: an inspect costs the engine far more than
    // a probe costs DBHub, so it is asked less often.
    if (SteadyClock::now() >= next_inspect) {
      next_inspect = SteadyClock::now() + kStartInspectInterval;
      auto details = state->engine->Inspect(id);
      if (!details.ok() && absl::IsNotFound(details.status())) break;
      if (details.ok() && !details->running) {
        ending = Ending{details->exit_code, true, details->oom_killed};
        break;
      }
    }
    if (SteadyClock::now() > deadline) {
      failure = text::Cat("DBHub did not answer /healthz within ",
                          state->options.start_timeout.count(), " ms");
      (void)state->engine->Kill(id);
      break;
    }
    std::this_thread::sleep_for(state->options.probe_interval);
  }
  if (state->stop_requested.load()) {
    (void)state->engine->Stop(id, state->options.stop_grace);
    ending = WaitForExit(*state, id);
  } else if (ready) {
    ending = WaitForExit(*state, id);
  } else if (!failure.empty()) {
    ending = WaitForExit(*state, id);
  }
  Finish(*state, id, ending, failure);
}

class ContainerInstance final : public RunningInstance {
 public:
  explicit ContainerInstance(std::shared_ptr<ContainerState> state)
      : state_(std::move(state)) {}
  ~ContainerInstance() override { Stop(); }

  // On a named network the host is filled in by the watcher before OnReady,
  // and the pool reads the endpoint for leases only after OnReady.
  const Endpoint& endpoint() const override { return state_->endpoint; }
  std::optional<int> pid() const override {
    const int pid = state_->pid.load();
    return pid > 0 ? std::optional<int>(pid) : std::nullopt;
  }
  std::optional<ContainerInfo> container() const override {
    return ContainerInfo{state_->id(), state_->image};
  }

  std::string RecentOutput() const override {
    const std::string id = state_->id();
    if (state_->exited.load() || id.empty()) return state_->output.Text();
    auto logs = state_->engine->Logs(id, kLogTailLines);
    if (!logs.ok()) return state_->output.Text();
    OutputBuffer fresh(state_->redactor);
    fresh.Append(*logs);
    fresh.Flush();
    return fresh.Text();
  }

  // The engine's stop call blocks for up to the grace period: it runs on a
  // thread of its own. The watcher sees the container end and removes it.
  void Stop() override {
    if (state_->exited.load() || state_->stop_requested.exchange(true)) return;
    const std::string id = state_->id();
    if (id.empty()) return;  // the watcher has not created it yet; it will stop
    std::thread([state = state_, id] {
      (void)state->engine->Stop(id, state->options.stop_grace);
    }).detach();
  }

 private:
  std::shared_ptr<ContainerState> state_;
};

std::shared_ptr<ContainerState> NewState(
    const std::shared_ptr<const DockerEngine>& engine,
    const std::shared_ptr<ContainerExits>& exits,
    const DockerRuntimeOptions& options, const LaunchSpec& spec,
    std::shared_ptr<InstanceEvents> events) {
  auto state =
      std::make_shared<ContainerState>(policies::Redactor(spec.secrets));
  state->engine = engine;
  state->exits = exits;
  state->options = options;
  state->instance_id = spec.instance_id;
  state->image = options.image;
  state->events = std::move(events);
  return state;
}

}  // namespace

DockerRuntime::DockerRuntime(std::shared_ptr<const DockerEngine> engine,
                             DockerRuntimeOptions options)
    : engine_(std::move(engine)),
      options_(std::move(options)),
      exits_(std::make_shared<ContainerExits>(engine_)) {}

absl::StatusOr<std::unique_ptr<RunningInstance>> DockerRuntime::Launch(
    const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
  if (!spec.dbhub_config.empty() || !spec.secret_env.empty()) {
    // Tenants, --readonly and --max-rows need a DBHub config file inside
    // the container; not built for this runtime yet.
    return absl::UnimplementedError(
        "tenant instances, --readonly and --max-rows are not supported on "
        "the docker runtime; use --runtime process");
  }
  auto state = NewState(engine_, exits_, options_, spec, std::move(events));
  ContainerSpec container;
  container.image = options_.image;
  container.user = options_.user;
  container.dsn = spec.dsn;
  container.bearer_token = policies::RandomHex(kTokenBytes);
  container.network = options_.network;
  container.binds = options_.binds;
  container.limits = options_.limits;
  if (options_.network.empty()) {
    // Host network: the container shares the host's loopback, where only
    // local processes (the gateway) can reach it.
    auto port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    container.port = *port;
    container.listen_host = "127.0.0.1";
    state->endpoint.host = "127.0.0.1";
  } else {
    container.port = kNetworkPort;
    container.listen_host = "0.0.0.0";
  }
  state->endpoint.port = container.port;
  state->endpoint.bearer_token = container.bearer_token;
  container.labels = BuildLabels(
      options_.gateway_id, spec.instance_id, spec.key_prefix,
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  std::string body = BuildCreateBody(container);
  std::fill(container.dsn.begin(), container.dsn.end(), '\0');
  spdlog::info("instance {}: creating a container from {} for {}",
               spec.instance_id, options_.image, spec.redacted_target);
  std::thread(Watch, state, std::move(body)).detach();
  return std::make_unique<ContainerInstance>(std::move(state));
}

absl::StatusOr<std::vector<LeftoverContainer>> DockerRuntime::FindLeftovers()
    const {
  auto ids = engine_->ListByGateway(options_.gateway_id);
  if (!ids.ok()) return ids.status();
  std::vector<LeftoverContainer> leftovers;
  for (const auto& id : *ids) {
    auto details = engine_->Inspect(id);
    if (!details.ok()) continue;  // gone meanwhile
    LeftoverContainer leftover;
    leftover.container_id = details->id;
    leftover.image = details->image;
    leftover.running = details->running;
    leftover.pid = details->pid;
    std::string port;
    const bool complete =
        EnvValue(details->env, "DSN", leftover.dsn) &&
        EnvValue(details->env, "DBHUB_AUTH_TOKEN",
                 leftover.endpoint.bearer_token) &&
        EnvValue(details->env, "PORT", port) &&
        port.find_first_not_of("0123456789") == std::string::npos &&
        !port.empty() && port.size() <= 5;
    if (!complete) {
      leftover.running = false;  // not one of ours as we make them: remove it
    } else {
      leftover.endpoint.port = static_cast<std::uint16_t>(std::stoi(port));
      leftover.endpoint.host =
          options_.network.empty() ? "127.0.0.1" : details->network_ip;
    }
    leftovers.push_back(std::move(leftover));
  }
  return leftovers;
}

std::unique_ptr<RunningInstance> DockerRuntime::Attach(
    const LeftoverContainer& leftover, const LaunchSpec& spec,
    std::shared_ptr<InstanceEvents> events) {
  auto state = NewState(engine_, exits_, options_, spec, std::move(events));
  state->image = leftover.image;
  state->endpoint = leftover.endpoint;
  state->container_id = leftover.container_id;
  if (leftover.pid) state->pid.store(*leftover.pid);
  std::thread(Watch, state, std::string()).detach();
  return std::make_unique<ContainerInstance>(std::move(state));
}

absl::Status DockerRuntime::Remove(const std::string& container_id) const {
  return engine_->Remove(container_id);
}

}  // namespace mcpgw::runtime
