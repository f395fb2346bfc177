#include "runtime/process_runtime.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "policies/random_token.h"
#include "policies/redaction.h"
#include "runtime/exit_reason.h"
#include "runtime/health_probe.h"
#include "runtime/output_buffer.h"
#include "runtime/process_spawn.h"
#include "policies/text.h"

namespace mcpgw::runtime {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kProbeTimeout{250};
constexpr std::size_t kTokenBytes = 32;
constexpr std::chrono::milliseconds kReadyWakeInterval{250};

// Shared between the handle the pool holds and the monitor thread, so that
// either may go first.
struct ProcessState {
  std::string instance_id;
  std::string redacted_target;
  pid_t pid = -1;
  int output_fd = -1;
  Endpoint endpoint;
  std::filesystem::path work_dir;
  OutputBuffer output;
  std::shared_ptr<InstanceEvents> events;
  StateRecords* records = nullptr;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> exited{false};
  std::atomic<Clock::rep> stop_requested_at{0};

  explicit ProcessState(policies::Redactor redactor)
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

// Watches one process from spawn to exit: collects its output, decides
// readiness, enforces the start deadline and the stop grace, reaps it.
void Monitor(std::shared_ptr<ProcessState> state,
             ProcessRuntimeOptions options) {
  const auto start_deadline = Clock::now() + options.start_timeout;
  auto next_probe = Clock::now();
  bool ready = false;
  bool output_open = true;
  std::string failure;  // set when the gateway itself gave up on the process
  int wait_status = 0;
  bool reaped = false;

  while (!reaped) {
    if (output_open) {
      pollfd pfd{state->output_fd, POLLIN, 0};
      // Probing while starting; once ready only the stop grace needs a clock
      // (an exit closes the pipe, which wakes poll at once).
      const auto wait = ready ? kReadyWakeInterval : options.probe_interval;
      const int timeout_ms = static_cast<int>(wait.count());
      if (poll(&pfd, 1, timeout_ms) > 0) {
        output_open = ReadAvailable(*state);
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
    if (!ready && now >= next_probe) {
      next_probe = now + options.probe_interval;
      if (ProbeHealthz(state->endpoint.host, state->endpoint.port,
                       kProbeTimeout)) {
        ready = true;
        state->events->OnReady();
      } else if (now > start_deadline) {
        failure = text::Cat("DBHub did not answer /healthz within ",
                               options.start_timeout.count(), " ms");
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
    : options_(std::move(options)) {
  std::filesystem::create_directories(options_.work_root);
  chmod(options_.work_root.c_str(), 0700);
}

absl::StatusOr<std::unique_ptr<RunningInstance>> ProcessRuntime::Launch(
    const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
  auto port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();

  auto state = std::make_shared<ProcessState>(policies::Redactor(spec.secrets));
  state->instance_id = spec.instance_id;
  state->redacted_target = spec.redacted_target;
  state->endpoint = Endpoint{"127.0.0.1", *port,
                             policies::RandomHex(kTokenBytes)};
  state->events = std::move(events);
  state->records = options_.records;
  // A private, empty working directory: DBHub reads `.env` and `dbhub.toml`
  // from its cwd, and must find nothing there but what we put.
  state->work_dir = options_.work_root / spec.instance_id;
  std::error_code ec;
  std::filesystem::create_directories(state->work_dir, ec);
  if (ec) {
    return absl::InternalError(text::Cat(
        "cannot create working directory ", state->work_dir.string(), ": ",
        ec.message()));
  }
  chmod(state->work_dir.c_str(), 0700);

  SpawnRequest request;
  // Only non-secret settings in argv: it is world-readable in /proc.
  request.argv = {options_.node_path, options_.dbhub_entry, "--transport",
                  "http", "--port", std::to_string(*port)};
  request.env = {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      text::Cat("HOME=", state->work_dir.string()),
      "LANG=C.UTF-8",
      "NODE_ENV=production",
      "TRANSPORT=http",
      text::Cat("PORT=", *port),
      "DBHUB_HOST=127.0.0.1",
      text::Cat("DSN=", spec.dsn),
      text::Cat("DBHUB_AUTH_TOKEN=", state->endpoint.bearer_token),
  };
  request.working_dir = state->work_dir.string();

  auto spawned = SpawnInOwnGroup(request);
  if (!spawned.ok()) {
    std::filesystem::remove_all(state->work_dir, ec);
    return spawned.status();
  }
  state->pid = spawned->pid;
  state->output_fd = spawned->output_fd;
  if (options_.records != nullptr) {
    options_.records->Add(spec.instance_id, state->pid,
                          ProcessStartTicks(state->pid).value_or(0));
  }
  spdlog::info("instance {}: started DBHub pid {} on 127.0.0.1:{} for {}",
               spec.instance_id, state->pid, *port, spec.redacted_target);
  std::thread(Monitor, state, options_).detach();
  return std::make_unique<ProcessInstance>(std::move(state));
}

}  // namespace mcpgw::runtime
