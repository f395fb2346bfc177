#include "runtime/process_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/random_token.h"
#include "common/redaction.h"
#include "common/text.h"
#include "runtime/exit_reason.h"
#include "runtime/health_probe.h"
#include "runtime/output_buffer.h"
#include "runtime/private_file.h"
#include "runtime/process_memory.h"
#include "runtime/process_spawn.h"
#include "runtime/warm_protocol.h"

namespace mcpgw::runtime {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kProbeTimeout{250};
constexpr std::size_t kTokenBytes = 32;
constexpr std::chrono::milliseconds kReadyWakeInterval{250};
constexpr char kLoopbackHost[] = "127.0.0.1";

constexpr char kConfigName[] = "dbhub.toml";

// Writes a DBHub config 0600 into the instance's private directory (never
// replacing or following anything already there). It holds no secret, only
// ${VAR} references, but it is nobody else's business either.
absl::StatusOr<std::filesystem::path> WriteDbhubConfig(
    const std::filesystem::path& dir, const std::string& text,
    const std::optional<InstanceUser>& owner) {
  const std::filesystem::path path = dir / kConfigName;
  // Written by the gateway, read by the instance user.
  std::optional<std::pair<uid_t, gid_t>> ids;
  if (owner) ids.emplace(owner->uid, owner->gid);
  if (auto status = WritePrivateFile(path, text, 0600, ids); !status.ok()) {
    return status;
  }
  return path;
}

// How often a ready instance is probed when the liveness check is on.
constexpr std::chrono::milliseconds kLivenessProbeInterval{1000};

// Shared between the handle the pool holds and the monitor thread, so that
// either may go first.
struct ProcessState {
  std::string instance_id;
  std::string redacted_target;
  pid_t pid = -1;
  int output_fd = -1;
  // A claimed warm worker's stdin (held open: it ends the worker when it
  // closes) and report channel; -1 for a plain spawn.
  int stdin_fd = -1;
  int control_fd = -1;
  Endpoint endpoint;
  std::filesystem::path work_dir;
  OutputBuffer output;
  std::shared_ptr<InstanceEvents> events;
  StateRecords* records = nullptr;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> exited{false};
  std::atomic<Clock::rep> stop_requested_at{0};

  explicit ProcessState(common::Redactor redactor)
      : output(std::move(redactor)) {}
};

bool ReadAvailable(ProcessState& state) {
  char buffer[4096];
  const ssize_t n = read(state.output_fd, buffer, sizeof(buffer));
  if (n > 0) {
    state.output.Append(std::string_view(buffer, static_cast<std::size_t>(n)));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// Reads a warm worker's reports into `pending`; false at EOF.
bool ReadControl(ProcessState& state, std::string& pending) {
  char buffer[512];
  const ssize_t n = read(state.control_fd, buffer, sizeof(buffer));
  if (n > 0) {
    pending.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// True when a complete line in `pending` is the worker's ready report.
// Consumes the complete lines.
bool ReportsReady(std::string& pending) {
  bool ready = false;
  for (const auto& line : TakeLines(pending)) {
    auto report = ParseWorkerReport(line);
    ready = ready || (report && std::holds_alternative<ReadyReport>(*report));
  }
  return ready;
}

// Watches one process from spawn to exit: collects its output, decides
// readiness, enforces the start deadline and the stop grace, reaps it.
void Monitor(std::shared_ptr<ProcessState> state,
             ProcessRuntimeOptions options) {
  const auto start_deadline = Clock::now() + options.start_timeout;
  auto next_probe = Clock::now();
  auto last_alive = Clock::now();  // last /healthz answer once ready
  bool ready = false;
  bool output_open = true;
  std::string failure;  // set when the gateway itself gave up on the process
  int wait_status = 0;
  bool reaped = false;

  bool control_open = state->control_fd >= 0;
  std::string control;

  while (!reaped) {
    // Probing while starting; once ready only the stop grace needs a clock
    // (an exit closes the pipe, which wakes poll at once).
    const auto wait = ready ? kReadyWakeInterval : options.probe_interval;
    pollfd fds[2] = {{output_open ? state->output_fd : -1, POLLIN, 0},
                     {control_open ? state->control_fd : -1, POLLIN, 0}};
    if (output_open || control_open) {
      poll(fds, 2, static_cast<int>(wait.count()));
      if (fds[0].revents != 0) output_open = ReadAvailable(*state);
      if (fds[1].revents != 0) {
        control_open = ReadControl(*state, control);
        // A warm worker says when DBHub listens: probe at once instead of
        // at the next tick.
        if (ReportsReady(control)) next_probe = Clock::now();
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const pid_t done = waitpid(state->pid, &wait_status, WNOHANG);
    if (done == state->pid) {
      reaped = true;
      break;
    }
    const auto now = Clock::now();
    if (state->stop_requested.load()) {
      const auto asked = Clock::time_point(
          Clock::duration(state->stop_requested_at.load()));
      if (now - asked > options.stop_grace) kill(-state->pid, SIGKILL);
      continue;
    }
    if (ready && options.liveness_timeout.count() > 0 && failure.empty() &&
        now >= next_probe) {
      next_probe = now + kLivenessProbeInterval;
      // The same probe as readiness: a server without /healthz stays alive
      // on "any answer".
      if (ProbeReadiness(state->endpoint.host, state->endpoint.port,
                         options.readiness.path, options.readiness.any_status,
                         kProbeTimeout)) {
        last_alive = now;
      } else if (now - last_alive > options.liveness_timeout) {
        failure = text::Cat(options.server_command ? "the server" : "DBHub",
                            " stopped answering ", options.readiness.path,
                            " for ",
                            options.liveness_timeout.count(), " ms");
        spdlog::warn("instance {}: {}; killing it", state->instance_id,
                     failure);
        kill(-state->pid, SIGKILL);
      }
    }
    if (!ready && now >= next_probe) {
      next_probe = now + options.probe_interval;
      if (ProbeReadiness(state->endpoint.host, state->endpoint.port,
                         options.readiness.path, options.readiness.any_status,
                         kProbeTimeout)) {
        ready = true;
        last_alive = now;
        next_probe = now + kLivenessProbeInterval;
        state->events->OnReady();
      } else if (now > start_deadline) {
        failure = text::Cat(options.server_command ? "the server" : "DBHub",
                            " did not answer ", options.readiness.path,
                            options.readiness.any_status ? "" : " with 200",
                            " within ", options.start_timeout.count(), " ms");
        kill(-state->pid, SIGKILL);
      }
    }
  }
  // Drain what is left in the pipe: DBHub's last words are the reason.
  while (output_open) {
    pollfd pfd{state->output_fd, POLLIN, 0};
    if (poll(&pfd, 1, 0) <= 0) break;
    output_open = ReadAvailable(*state);
  }
  state->output.Flush();
  close(state->output_fd);
  // Closing a warm worker's stdin ends it if anything of it is left.
  if (state->stdin_fd >= 0) close(state->stdin_fd);
  if (state->control_fd >= 0) close(state->control_fd);
  // Anything else left in the process group goes with it.
  kill(-state->pid, SIGKILL);
  state->exited.store(true);
  if (state->records != nullptr) state->records->Remove(state->instance_id);
  std::error_code ignored;
  std::filesystem::remove_all(state->work_dir, ignored);

  std::string reason;
  if (state->stop_requested.load()) {
    reason = "stopped by the gateway";
  } else if (!failure.empty()) {
    reason = failure;
  } else {
    reason = SummarizeExit(state->output.Lines(), wait_status);
  }
  state->events->OnExit(std::move(reason));
}

class ProcessInstance final : public RunningInstance {
 public:
  explicit ProcessInstance(std::shared_ptr<ProcessState> state)
      : state_(std::move(state)) {}
  ~ProcessInstance() override { Stop(); }

  const Endpoint& endpoint() const override { return state_->endpoint; }
  std::optional<int> pid() const override { return state_->pid; }
  std::string RecentOutput() const override { return state_->output.Text(); }
  bool from_warm_pool() const override { return state_->stdin_fd >= 0; }
  std::optional<std::uint64_t> MemoryBytes() const override {
    return ResidentBytes(state_->pid);
  }

  void Stop() override {
    if (state_->exited.load() || state_->stop_requested.exchange(true)) return;
    state_->stop_requested_at.store(Clock::now().time_since_epoch().count());
    kill(-state_->pid, SIGTERM);
  }

 private:
  std::shared_ptr<ProcessState> state_;
};

}  // namespace

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options)
    : options_(std::move(options)) {}

// A started DBHub, before the monitor takes it over.
struct ProcessRuntime::Started {
  pid_t pid = -1;
  int output_fd = -1;
  int stdin_fd = -1;
  int control_fd = -1;
  std::filesystem::path work_dir;
  const char* how = "";  // for the log
};

std::optional<ProcessRuntime::Started> ProcessRuntime::ClaimWarm(
    const LaunchSpec& spec, std::uint16_t port, const std::string& token) {
  // Warm workers are pre-loaded DBHubs: of no use for another server.
  if (options_.warm_pool == nullptr || options_.server_command) {
    return std::nullopt;
  }
  // A warm worker's environment is fixed and its claim carries only the
  // DSN: instances that need more secrets in their environment (tenants)
  // start cold.
  if (!spec.secret_env.empty()) return std::nullopt;
  // A worker's file limits were set before it knew its DSN: a sqlite file
  // outside --sqlite-dir needs a start with rules of its own.
  if (!options_.sandbox.launcher.empty() &&
      !CoveredByWritePaths(options_.sandbox,
                           DatabaseFilesOf(spec.dsn, spec.secret_env))) {
    return std::nullopt;
  }
  auto worker = options_.warm_pool->Claim();
  if (!worker) return std::nullopt;
  Started started{worker->pid,        worker->output_fd, worker->stdin_fd,
                  worker->control_fd, worker->work_dir,  "claimed warm worker"};
  if (options_.records != nullptr) {
    options_.records->Add(spec.instance_id, worker->pid,
                          ProcessStartTicks(worker->pid).value_or(0));
    options_.records->Remove(worker->record_id);
  }
  std::string config_path;
  if (!spec.dbhub_config.empty()) {
    auto written = WriteDbhubConfig(worker->work_dir, spec.dbhub_config,
                                    options_.sandbox.user);
    if (written.ok()) {
      config_path = written->string();
    } else {
      // Without its config the instance would run unrestricted: end it.
      spdlog::warn("instance {}: {}", spec.instance_id,
                   std::string(written.status().message()));
      kill(-worker->pid, SIGKILL);
      return started;
    }
  }
  if (auto status = SendClaim(*worker, {spec.dsn, token, port, config_path});
      !status.ok()) {
    // The monitor sees it die and reports the launch as failed; the pool
    // has already refilled.
    spdlog::warn("instance {}: {}", spec.instance_id,
                 std::string(status.message()));
    kill(-worker->pid, SIGKILL);
  }
  return started;
}

absl::StatusOr<ProcessRuntime::Started> ProcessRuntime::SpawnCold(
    const LaunchSpec& spec, const std::filesystem::path& work_dir,
    std::uint16_t port, const std::string& token) {
  // A private, empty working directory: DBHub reads `.env` and `dbhub.toml`
  // from its cwd, and must find nothing there but what we put.
  const std::vector<std::string> database_files =
      DatabaseFilesOf(spec.dsn, spec.secret_env);
  // A database the instance user cannot read would fail inside DBHub with
  // "unable to open database file": say why instead, before spawning.
  if (options_.sandbox.user) {
    for (const auto& file : database_files) {
      std::error_code missing;
      if (!std::filesystem::exists(file, missing)) continue;
      if (auto status = CheckReachableBy(file, *options_.sandbox.user, false);
          !status.ok()) {
        return status;
      }
    }
  }
  if (auto status = MakeInstanceDirectory(work_dir, options_.sandbox.user);
      !status.ok()) {
    return status;
  }
  const InstanceLaunch instance{kLoopbackHost, port, spec.dsn, token};
  CommandLine line =
      options_.server_command
          ? CustomCommandLine(*options_.server_command,
                              CleanNodeEnvironment(work_dir.string()),
                              options_.extra_env, instance)
          : DbhubCommandLine(options_.node_path, options_.dbhub_entry,
                             CleanNodeEnvironment(work_dir.string()),
                             options_.extra_env, instance);
  SpawnRequest request;
  request.argv = std::move(line.argv);
  request.env = std::move(line.env);
  if (!spec.dbhub_config.empty()) {
    auto written =
        WriteDbhubConfig(work_dir, spec.dbhub_config, options_.sandbox.user);
    if (!written.ok()) {
      std::error_code ignored;
      std::filesystem::remove_all(work_dir, ignored);
      return written.status();
    }
    request.argv.push_back(text::Cat("--config=", written->string()));
  }
  request.env.insert(request.env.end(), spec.secret_env.begin(),
                     spec.secret_env.end());
  request.working_dir = work_dir.string();
  if (!options_.sandbox.launcher.empty()) {
    auto launch = SandboxedCommand(options_.sandbox, work_dir, database_files,
                                   std::move(request.argv));
    request.argv = std::move(launch.argv);
    if (!launch.env.empty()) request.env.push_back(std::move(launch.env));
  }
  auto spawned = SpawnInOwnGroup(request);
  if (!spawned.ok()) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir, ignored);
    return spawned.status();
  }
  if (options_.records != nullptr) {
    options_.records->Add(spec.instance_id, spawned->pid,
                          ProcessStartTicks(spawned->pid).value_or(0));
  }
  return Started{spawned->pid, spawned->output_fd, -1, -1, work_dir,
                 options_.server_command ? "started server" : "started DBHub"};
}

absl::StatusOr<std::unique_ptr<RunningInstance>> ProcessRuntime::Launch(
    const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
  if (!spec.secret_key_env.empty()) {
    return absl::FailedPreconditionError(
        "this instance reads its credentials from a Kubernetes Secret: only "
        "--runtime kubernetes can start it");
  }
  auto port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  const std::string token = common::RandomHex(kTokenBytes);

  std::optional<Started> started = ClaimWarm(spec, *port, token);
  if (!started) {
    auto cold = SpawnCold(spec, options_.work_root / spec.instance_id, *port,
                          token);
    if (!cold.ok()) return cold.status();
    started = *std::move(cold);
  }

  auto state = std::make_shared<ProcessState>(common::Redactor(spec.secrets));
  state->instance_id = spec.instance_id;
  state->redacted_target = spec.redacted_target;
  state->endpoint = Endpoint{kLoopbackHost, *port, token};
  state->events = std::move(events);
  state->records = options_.records;
  state->work_dir = started->work_dir;
  state->pid = started->pid;
  state->output_fd = started->output_fd;
  state->stdin_fd = started->stdin_fd;
  state->control_fd = started->control_fd;
  spdlog::info("instance {}: {} pid {} on 127.0.0.1:{} for {}",
               spec.instance_id, started->how, state->pid, *port,
               spec.redacted_target);
  std::thread(Monitor, state, options_).detach();
  return std::make_unique<ProcessInstance>(std::move(state));
}

}  // namespace mcpgw::runtime
