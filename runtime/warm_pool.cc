#include "runtime/warm_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/random_token.h"
#include "common/text.h"
#include "runtime/health_probe.h"
#include "runtime/process_spawn.h"

namespace mcpgw::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kTokenBytes = 32;
// What is kept of an unclaimed worker's output, for the log when it dies.
constexpr std::size_t kTailBytes = 4096;
// Workers in a row that die before they are warm before the pool gives up.
constexpr int kMaxConsecutiveFailures = 3;
// A refill waits this long after a claim, and loads one worker at a time:
// on a small machine a worker loading DBHub takes a core for a second, and
// the claimed worker's start and its first requests come first.
constexpr std::chrono::milliseconds kRefillDelay{300};
// How often deadlines are checked while nothing happens.
constexpr std::chrono::milliseconds kWatchInterval{250};
constexpr std::chrono::milliseconds kProbeTimeout{250};
constexpr std::chrono::milliseconds kProbeInterval{25};
// The start-up check's claim: no file, no network, nothing secret.
constexpr char kCheckDsn[] = "sqlite:///:memory:";

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Appends what can be read now to `out`, keeping at most `cap` bytes of its
// tail. False at EOF or on an error other than "try again".
bool ReadInto(int fd, std::string& out, std::size_t cap) {
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > cap) out.erase(0, out.size() - cap);
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

std::string LastLine(const std::string& text) {
  auto trimmed = text::StripWhitespace(text);
  const auto newline = trimmed.rfind('\n');
  return std::string(newline == std::string_view::npos
                         ? trimmed
                         : trimmed.substr(newline + 1));
}

std::chrono::milliseconds Since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      SteadyClock::now() - start);
}

}  // namespace

struct WarmPool::Slot {
  WarmWorker worker;
  bool warm = false;
  bool output_open = true;
  std::string control;  // a partial report line
  std::string tail;     // its last output (unclaimed: nothing secret in it)
};

absl::Status SendClaim(const WarmWorker& worker, const WarmClaim& claim) {
  const std::string line = ClaimLine(claim);
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n =
        write(worker.stdin_fd, line.data() + sent, line.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          text::Cat("cannot hand the DSN to warm worker pid ", worker.pid,
                    ": ", std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}


WarmPool::WarmPool(WarmPoolOptions options) : options_(std::move(options)) {
  stats_.size = options_.size;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_ = fds[0];
    wake_write_ = fds[1];
  }
}

WarmPool::~WarmPool() {
  Stop();
  CloseFd(wake_read_);
  CloseFd(wake_write_);
}

void WarmPool::Start() {
  MutexLock lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void WarmPool::Wake() {
  if (wake_write_ >= 0) {
    const char byte = 1;
    [[maybe_unused]] auto ignored = write(wake_write_, &byte, 1);
  }
}

std::optional<WarmWorker> WarmPool::Claim() {
  MutexLock lock(mutex_);
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if (!(*it)->warm) continue;
    WarmWorker worker = (*it)->worker;
    slots_.erase(it);
    stats_.hits += 1;
    last_claim_at_ = SteadyClock::now();
    return worker;
  }
  stats_.misses += 1;
  return std::nullopt;
}

void WarmPool::Stop() {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mutex_);
  while (!slots_.empty()) RetireLocked(slots_.size() - 1, "");
  stats_.state = WarmPoolState::kStopped;
}

WarmPoolStats WarmPool::Stats() const {
  MutexLock lock(mutex_);
  WarmPoolStats stats = stats_;
  for (const auto& slot : slots_) {
    if (slot->warm) {
      stats.idle += 1;
      stats.idle_pids.push_back(slot->worker.pid);
    } else {
      stats.warming += 1;
    }
  }
  return stats;
}

absl::StatusOr<std::unique_ptr<WarmPool::Slot>> WarmPool::SpawnWorker() {
  auto slot = std::make_unique<Slot>();
  slot->worker.record_id = text::Cat("warm-", common::RandomHex(6));
  slot->worker.work_dir = options_.work_root / slot->worker.record_id;
  if (auto status = MakeInstanceDirectory(slot->worker.work_dir,
                                          options_.sandbox.user);
      !status.ok()) {
    return status;
  }
  SpawnRequest request;
  // The preloader's argv holds paths only; the DSN comes later, by pipe.
  request.argv = {options_.node_path, "--experimental-import-meta-resolve",
                  "--disable-warning=ExperimentalWarning",
                  options_.preloader_path, options_.dbhub_entry};
  if (!options_.sandbox.launcher.empty()) {
    request.argv = SandboxedCommand(options_.sandbox, slot->worker.work_dir, {},
                                    std::move(request.argv))
                       .argv;
  }
  request.env = CleanNodeEnvironment(slot->worker.work_dir.string());
  request.working_dir = slot->worker.work_dir.string();
  request.stdin_pipe = true;
  request.control_pipe = true;
  auto spawned = SpawnInOwnGroup(request);
  if (!spawned.ok()) {
    std::error_code ignored;
    std::filesystem::remove_all(slot->worker.work_dir, ignored);
    return spawned.status();
  }
  slot->worker.pid = spawned->pid;
  slot->worker.output_fd = spawned->output_fd;
  slot->worker.stdin_fd = spawned->stdin_fd;
  slot->worker.control_fd = spawned->control_fd;
  slot->worker.spawned_at = SteadyClock::now();
  if (options_.records != nullptr) {
    options_.records->Add(slot->worker.record_id, slot->worker.pid,
                          ProcessStartTicks(slot->worker.pid).value_or(0));
  }
  return slot;
}

void WarmPool::Run() {
  const absl::Status checked = CheckPreloader();
  MutexLock lock(mutex_);
  if (stopping_) return;
  if (!checked.ok()) {
    DisableLocked(std::string(checked.message()));
    return;
  }
  stats_.state = WarmPoolState::kActive;
  spdlog::info("warm pool: preloader works with DBHub {}; keeping {} worker(s)",
               stats_.dbhub_version, options_.size);
  while (!stopping_ && stats_.state == WarmPoolState::kActive) {
    FillLocked();
    if (stopping_ || stats_.state != WarmPoolState::kActive) break;
    WatchOnce();
  }
}

// Spawns what is missing, one worker at a time and not right after a
// claim, outside the lock (a spawn takes milliseconds and Claim must never
// wait for one).
void WarmPool::FillLocked() {
  const bool warming = std::any_of(slots_.begin(), slots_.end(),
                                   [](const auto& slot) { return !slot->warm; });
  if (warming || slots_.size() >= static_cast<std::size_t>(options_.size) ||
      SteadyClock::now() - last_claim_at_ < kRefillDelay) {
    return;
  }
  mutex_.Unlock();
  auto slot = SpawnWorker();
  mutex_.Lock();
  if (!slot.ok()) {
    consecutive_failures_ += 1;
    spdlog::warn("warm pool: cannot start a worker: {}",
                 std::string(slot.status().message()));
    if (consecutive_failures_ >= kMaxConsecutiveFailures) {
      DisableLocked(std::string(slot.status().message()));
    }
    return;  // try again after a watch interval
  }
  stats_.spawned += 1;
  slots_.push_back(*std::move(slot));
  if (stopping_) RetireLocked(slots_.size() - 1, "");
}

void WarmPool::WatchOnce() {
  std::vector<pollfd> fds;
  fds.push_back({wake_read_, POLLIN, 0});
  for (const auto& slot : slots_) {
    fds.push_back({slot->worker.control_fd, POLLIN, 0});
    if (slot->output_open) fds.push_back({slot->worker.output_fd, POLLIN, 0});
  }
  // Wakes in time for a refill that waits out kRefillDelay.
  const auto refill_in = std::chrono::duration_cast<std::chrono::milliseconds>(
      last_claim_at_ + kRefillDelay - SteadyClock::now());
  const auto timeout =
      std::clamp(refill_in, std::chrono::milliseconds(1), kWatchInterval);
  mutex_.Unlock();
  poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  mutex_.Lock();
  if (fds[0].revents != 0) {
    char drain[64];
    while (read(wake_read_, drain, sizeof(drain)) > 0) {
    }
  }
  auto revents_of = [&](int fd) -> short {
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd == fd) return fds[i].revents;
    }
    return 0;
  };
  // Backwards: RetireLocked erases. Workers claimed meanwhile are gone from
  // slots_ and so are left alone.
  for (std::size_t i = slots_.size(); i-- > 0;) {
    Slot& slot = *slots_[i];
    if (slot.output_open && revents_of(slot.worker.output_fd) != 0) {
      slot.output_open = ReadInto(slot.worker.output_fd, slot.tail, kTailBytes);
    }
    if (revents_of(slot.worker.control_fd) != 0) {
      if (!ReadInto(slot.worker.control_fd, slot.control, kTailBytes)) {
        RetireLocked(i, "it exited");
        continue;
      }
      HandleControlLocked(slot);
      if (stats_.state != WarmPoolState::kActive) return;
      continue;
    }
    if (!slot.warm && Since(slot.worker.spawned_at) > options_.warm_timeout) {
      RetireLocked(i, text::Cat("it was not warm within ",
                                options_.warm_timeout.count(), " ms"));
    }
  }
}

void WarmPool::HandleControlLocked(Slot& slot) {
  for (const auto& line : TakeLines(slot.control)) {
    auto report = ParseWorkerReport(line);
    if (!report || !std::holds_alternative<WarmReport>(*report)) continue;
    if (auto status = CheckWarmReport(std::get<WarmReport>(*report));
        !status.ok()) {
      DisableLocked(std::string(status.message()));
      return;
    }
    slot.warm = true;
    consecutive_failures_ = 0;
    const auto refill = Since(slot.worker.spawned_at);
    total_refill_ += refill;
    stats_.last_refill = refill;
    warmed_ += 1;
    stats_.mean_refill = total_refill_ / warmed_;
  }
}

// Kills an unclaimed worker and forgets it. `why` empty: a planned stop.
void WarmPool::RetireLocked(std::size_t index, const std::string& why) {
  std::unique_ptr<Slot> slot = std::move(slots_[index]);
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(index));
  WarmWorker& worker = slot->worker;
  kill(-worker.pid, SIGKILL);
  waitpid(worker.pid, nullptr, 0);
  CloseFd(worker.output_fd);
  CloseFd(worker.stdin_fd);
  CloseFd(worker.control_fd);
  std::error_code ignored;
  std::filesystem::remove_all(worker.work_dir, ignored);
  if (options_.records != nullptr) options_.records->Remove(worker.record_id);
  if (why.empty()) return;

  stats_.replaced += 1;
  const std::string last = LastLine(slot->tail);
  spdlog::warn("warm pool: worker pid {} dropped before its claim: {}{}{}",
               worker.pid, why, last.empty() ? "" : "; last output: ", last);
  if (!slot->warm) {
    consecutive_failures_ += 1;
    if (consecutive_failures_ >= kMaxConsecutiveFailures) {
      DisableLocked(text::Cat(consecutive_failures_,
                              " workers in a row were dropped before they "
                              "were warm, the last because ",
                              why, last.empty() ? "" : ": ", last));
    }
  }
}

void WarmPool::DisableLocked(std::string reason) {
  if (stats_.state == WarmPoolState::kDisabled) return;
  stats_.state = WarmPoolState::kDisabled;
  stats_.reason = std::move(reason);
  spdlog::warn(
      "warm pool disabled: {}. Every instance now starts with a plain spawn "
      "(about a second instead of tens of milliseconds).",
      stats_.reason);
  while (!slots_.empty()) RetireLocked(slots_.size() - 1, "");
}

// Runs one worker through a whole claim with an in-memory database: proof
// that this preloader and this DBHub work together before any client's
// request depends on it.
absl::Status WarmPool::CheckPreloader() {
  if (access(options_.preloader_path.c_str(), R_OK) != 0) {
    return absl::NotFoundError(
        text::Cat("no preloader script at ", options_.preloader_path));
  }
  auto spawned = SpawnWorker();
  if (!spawned.ok()) return spawned.status();
  std::unique_ptr<Slot> slot = *std::move(spawned);
  {
    MutexLock lock(mutex_);
    stats_.spawned += 1;
  }
  const auto deadline = slot->worker.spawned_at + options_.warm_timeout;

  // Waits for the next report from the worker, with its output kept for the
  // error message.
  auto await_report = [&]() -> absl::StatusOr<WorkerReport> {
    while (true) {
      for (const auto& line : TakeLines(slot->control)) {
        if (auto report = ParseWorkerReport(line)) return *report;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - SteadyClock::now());
      if (left.count() <= 0) {
        return absl::DeadlineExceededError(text::Cat(
            "the preloader did not report within ",
            options_.warm_timeout.count(), " ms"));
      }
      pollfd fds[3] = {{wake_read_, POLLIN, 0},
                       {slot->worker.control_fd, POLLIN, 0},
                       {slot->output_open ? slot->worker.output_fd : -1, POLLIN, 0}};
      poll(fds, 3, static_cast<int>(std::min(left, kWatchInterval).count()));
      {
        MutexLock lock(mutex_);
        if (stopping_) return absl::CancelledError("stopping");
      }
      if (fds[2].revents != 0) {
        slot->output_open =
            ReadInto(slot->worker.output_fd, slot->tail, kTailBytes);
      }
      if (fds[1].revents != 0 &&
          !ReadInto(slot->worker.control_fd, slot->control, kTailBytes)) {
        while (slot->output_open) {
          slot->output_open =
              ReadInto(slot->worker.output_fd, slot->tail, kTailBytes);
        }
        const std::string last = LastLine(slot->tail);
        return absl::UnavailableError(text::Cat(
            "the preloader exited during the start-up check",
            last.empty() ? "" : ": ", last));
      }
    }
  };

  auto result = [&]() -> absl::Status {
    auto report = await_report();
    if (!report.ok()) return report.status();
    const auto* warm = std::get_if<WarmReport>(&*report);
    if (warm == nullptr) {
      return absl::FailedPreconditionError(
          "the preloader did not report that it was warm");
    }
    if (auto status = CheckWarmReport(*warm); !status.ok()) return status;
    if (!warm->rehearsal_error.empty()) {
      spdlog::warn(
          "warm pool: the preloader could not warm up DBHub's request path "
          "({}); claimed workers answer their first request more slowly",
          warm->rehearsal_error);
    }
    {
      MutexLock lock(mutex_);
      stats_.dbhub_version = warm->dbhub_version;
    }
    auto port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    if (auto status = SendClaim(slot->worker,
                                {kCheckDsn, common::RandomHex(kTokenBytes),
                                 *port, ""});
        !status.ok()) {
      return status;
    }
    report = await_report();
    if (!report.ok()) return report.status();
    if (const auto* error = std::get_if<ErrorReport>(&*report)) {
      return absl::FailedPreconditionError(
          text::Cat("the preloader refused its claim: ", error->message));
    }
    while (!ProbeHealthz("127.0.0.1", *port, kProbeTimeout)) {
      if (SteadyClock::now() > deadline) {
        return absl::DeadlineExceededError(
            "DBHub started by the preloader did not answer /healthz");
      }
      {
        MutexLock lock(mutex_);
        if (stopping_) return absl::CancelledError("stopping");
      }
      std::this_thread::sleep_for(kProbeInterval);
    }
    return absl::OkStatus();
  }();

  MutexLock lock(mutex_);
  slots_.push_back(std::move(slot));
  RetireLocked(slots_.size() - 1, "");
  return result;
}

}  // namespace mcpgw::runtime
