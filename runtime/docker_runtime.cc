#include "runtime/docker_runtime.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <thread>

#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/random_token.h"
#include "common/redaction.h"
#include "common/text.h"
#include "runtime/container_exits.h"
#include "runtime/exit_reason.h"
#include "runtime/health_probe.h"
#include "runtime/output_buffer.h"
#include "runtime/private_file.h"
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
  // Set before the watcher thread starts, except a named network's host:
  // the watcher writes that under `mutex` once the container has an
  // address, before OnReady (the pool reads endpoint() only after OnReady).
  Endpoint endpoint;
  common::Redactor redactor;
  OutputBuffer output;
  std::shared_ptr<InstanceEvents> events;
  std::atomic<int> pid{0};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> exited{false};

  // The host directory mounted as the container's config; removed with it.
  std::filesystem::path config_dir;

  mutable Mutex mutex;
  std::string container_id ABSL_GUARDED_BY(mutex);  // set once created

  explicit ContainerState(const common::Redactor& r) : redactor(r), output(r) {}

  std::string id() const {
    MutexLock lock(mutex);
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
  if (!state.config_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(state.config_dir, ignored);
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
    MutexLock lock(state.mutex);
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
      MutexLock lock(state.mutex);
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
      MutexLock lock(state->mutex);
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
    return OutputBuffer::Redacted(state_->redactor, *logs);
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
      std::make_shared<ContainerState>(common::Redactor(spec.secrets));
  state->engine = engine;
  state->exits = exits;
  state->options = options;
  state->instance_id = spec.instance_id;
  state->image = options.image;
  state->events = std::move(events);
  return state;
}

// uid and gid of --docker-user ("uid[:gid]"); -1 for a gid not given.
absl::StatusOr<std::pair<uid_t, gid_t>> NumericUser(const std::string& user) {
  const auto colon = user.find(':');
  const std::string uid = user.substr(0, colon);
  const std::string gid =
      colon == std::string::npos ? std::string() : user.substr(colon + 1);
  auto numeric = [](const std::string& text) {
    return !text.empty() && text.size() <= 9 &&
           text.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!numeric(uid) || (!gid.empty() && !numeric(gid))) {
    return absl::FailedPreconditionError(text::Cat(
        "--docker-user='", user, "': a container's DBHub config (tenants, "
        "--readonly, --max-rows) is handed to a numeric uid[:gid]"));
  }
  return std::pair<uid_t, gid_t>(
      static_cast<uid_t>(std::stoul(uid)),
      gid.empty() ? static_cast<gid_t>(-1) : static_cast<gid_t>(std::stoul(gid)));
}

// How the config reaches the container: `<config_root>/<instance id>/
// dbhub.toml`, the directory 0700 and the file 0400, both owned by the
// container's user, the directory bind-mounted read-only at
// kContainerConfigDir. Chosen over the engine's archive upload
// (PUT /containers/{id}/archive before start), tried against Podman 4.3:
// with a read-only root the upload has nowhere to go. Docker refuses it
// outside a volume, and the /tmp tmpfs does not exist before start (Podman
// copies an upload into it, Docker does not); an anonymous volume takes the
// upload, but Podman hands the volume's root to the container's user, which
// would give DBHub a writable, unbounded, executable place. The read-only
// bind gives it nothing to write, and leaves the text on the host only
// under the gateway's private config root (0700), readable by root and the
// container's uid. The cost: the engine must see that directory at the
// same path (a local engine; a gateway in a container mounts it so).
absl::StatusOr<std::filesystem::path> WriteContainerConfig(
    const std::filesystem::path& root, const std::string& instance_id,
    const std::string& user, const std::string& toml) {
  if (root.empty()) {
    return absl::FailedPreconditionError(
        "this docker runtime has no directory for DBHub configs");
  }
  auto owner = NumericUser(user);
  if (!owner.ok()) return owner.status();
  const bool as_root = geteuid() == 0;
  if (!as_root && geteuid() != owner->first) {
    return absl::FailedPreconditionError(text::Cat(
        "a container's DBHub config (tenants, --readonly, --max-rows) must be "
        "readable by its user (--docker-user=", user,
        ") and by nobody else: run the gateway as root, or give "
        "--docker-user the gateway's own uid:gid"));
  }
  std::error_code error;
  std::filesystem::create_directories(root, error);
  const auto dir = root / instance_id;
  std::filesystem::remove_all(dir, error);
  if (mkdir(dir.c_str(), 0700) != 0) {
    return absl::InternalError(text::Cat("cannot create ", dir.string(), ": ",
                                         std::strerror(errno)));
  }
  std::optional<std::pair<uid_t, gid_t>> ids;
  if (as_root) ids = *owner;
  auto written = WritePrivateFile(dir / kConfigFileName, toml, 0400, ids);
  if (written.ok() && as_root && chown(dir.c_str(), owner->first, owner->second) != 0) {
    written = absl::InternalError(text::Cat("cannot hand ", dir.string(),
                                            " to the container's user: ",
                                            std::strerror(errno)));
  }
  if (!written.ok()) {
    std::filesystem::remove_all(dir, error);
    return written;
  }
  return dir;
}

// Empties the config root of what an earlier run left (those containers are
// removed, not adopted) and makes it private.
void PrepareConfigRoot(const std::filesystem::path& root) {
  if (root.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(root, error);
  struct stat st {};
  if (error || lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != geteuid() || chmod(root.c_str(), 0700) != 0) {
    spdlog::warn("the directory for containers' DBHub configs {} is not a "
                 "directory of the gateway's user: tenant, --readonly and "
                 "--max-rows containers will fail to start",
                 root.string());
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

DockerRuntime::DockerRuntime(std::shared_ptr<const DockerEngine> engine,
                             DockerRuntimeOptions options)
    : engine_(std::move(engine)),
      options_(std::move(options)),
      exits_(std::make_shared<ContainerExits>(engine_)) {
  PrepareConfigRoot(options_.config_root);
}

absl::StatusOr<std::unique_ptr<RunningInstance>> DockerRuntime::Launch(
    const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
  if (!spec.secret_key_env.empty()) {
    return absl::FailedPreconditionError(
        "this instance reads its credentials from a Kubernetes Secret: only "
        "--runtime kubernetes can start it");
  }
  auto state = NewState(engine_, exits_, options_, spec, std::move(events));
  ContainerSpec container;
  container.image = options_.image;
  container.user = options_.user;
  container.dsn = spec.dsn;
  container.secret_env = spec.secret_env;
  container.bearer_token = common::RandomHex(kTokenBytes);
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
  if (!spec.dbhub_config.empty()) {
    // Tenants, --readonly, --max-rows: DBHub reads its sources and tools
    // from a config, the DSNs in it from the container's environment.
    auto written = WriteContainerConfig(options_.config_root, spec.instance_id,
                                        options_.user, spec.dbhub_config);
    if (!written.ok()) return written.status();
    state->config_dir = *written;
    container.config_dir = written->string();
  }
  state->endpoint.port = container.port;
  state->endpoint.bearer_token = container.bearer_token;
  container.labels = BuildLabels(
      options_.gateway_id, spec.instance_id, spec.key_prefix,
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  std::string body = BuildCreateBody(container);
  std::fill(container.dsn.begin(), container.dsn.end(), '\0');
  for (auto& entry : container.secret_env) {
    std::fill(entry.begin(), entry.end(), '\0');
  }
  spdlog::info("instance {}: creating a container from {} for {}{}",
               spec.instance_id, options_.image, spec.redacted_target,
               container.config_dir.empty() ? "" : " (with a DBHub config)");
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
    if (details->labels.count(container_label::kDbhubConfig) != 0) {
      leftover.not_adoptable =
          "it was started with a DBHub config (tenant, --readonly or "
          "--max-rows), which is not recomputed from a container";
    }
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
  {
    // No other thread has the state yet: the lock is for the analysis.
    MutexLock lock(state->mutex);
    state->container_id = leftover.container_id;
  }
  if (leftover.pid) state->pid.store(*leftover.pid);
  std::thread(Watch, state, std::string()).detach();
  return std::make_unique<ContainerInstance>(std::move(state));
}

absl::Status DockerRuntime::Remove(const std::string& container_id) const {
  return engine_->Remove(container_id);
}

}  // namespace mcpgw::runtime
