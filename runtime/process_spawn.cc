#include "runtime/process_spawn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>

#include <sstream>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {

absl::Status ErrnoError(std::string_view what, int error) {
  return absl::InternalError(text::Cat(what, ": ", std::strerror(error)));
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// A CLOEXEC pipe that closes whatever ends are still open when it goes.
struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  absl::Status Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
    read = fds[0];
    write = fds[1];
    return absl::OkStatus();
  }
  int ReleaseRead() { return std::exchange(read, -1); }
  int ReleaseWrite() { return std::exchange(write, -1); }
  void CloseRead() {
    if (read >= 0) close(std::exchange(read, -1));
  }
  void CloseWrite() {
    if (write >= 0) close(std::exchange(write, -1));
  }
};

constexpr int kControlFd = 3;

// Runs every spawn on one thread that lives as long as the process. A
// child's parent-death signal (armed by the sandbox launcher) fires when
// the *thread* that spawned it ends, not the process: spawning from a
// thread that comes and goes (the warm pool's, a launch's) would kill its
// children with it. Never destroyed: it must outlive every other thread.
class SpawnThread {
 public:
  static SpawnThread& Get() {
    static SpawnThread* const instance = new SpawnThread();
    return *instance;
  }

  absl::StatusOr<SpawnedProcess> Run(
      std::function<absl::StatusOr<SpawnedProcess>()> spawn) {
    std::packaged_task<absl::StatusOr<SpawnedProcess>()> task(std::move(spawn));
    auto result = task.get_future();
    {
      MutexLock lock(mutex_);
      queue_.push_back(std::move(task));
    }
    wake_.NotifyOne();
    return result.get();
  }

 private:
  SpawnThread() {
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    for (;;) {
      MutexLock lock(mutex_);
      wake_.Wait(mutex_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !queue_.empty();
      });
      auto task = std::move(queue_.front());
      queue_.pop_front();
      lock.Unlock();
      task();
    }
  }

  Mutex mutex_;
  CondVar wake_;  // queue_ is not empty
  std::deque<std::packaged_task<absl::StatusOr<SpawnedProcess>()>> queue_
      ABSL_GUARDED_BY(mutex_);
};

absl::StatusOr<SpawnedProcess> SpawnNow(const SpawnRequest& request);

}  // namespace

absl::StatusOr<SpawnedProcess> SpawnInOwnGroup(const SpawnRequest& request) {
  return SpawnThread::Get().Run([&request] { return SpawnNow(request); });
}

namespace {

absl::StatusOr<SpawnedProcess> SpawnNow(const SpawnRequest& request) {
  if (request.argv.empty()) return absl::InvalidArgumentError("empty argv");
  Pipe output;
  Pipe input;
  Pipe control;
  if (auto status = output.Open(); !status.ok()) return status;
  if (request.stdin_pipe) {
    if (auto status = input.Open(); !status.ok()) return status;
  }
  if (request.control_pipe) {
    if (auto status = control.Open(); !status.ok()) return status;
  }

  SpawnSetup setup;
  // Own process group (pgid = pid) so that a stop reaches node and anything
  // it starts; default signal dispositions and an empty mask, whatever the
  // gateway itself ignores or blocks.
  sigset_t all_signals;
  sigset_t no_signals;
  sigfillset(&all_signals);
  sigemptyset(&no_signals);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP |
                                            POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigdefault(&setup.attr, &all_signals);
  posix_spawnattr_setsigmask(&setup.attr, &no_signals);

  // dup2 clears CLOEXEC on the child's copy only.
  if (request.stdin_pipe) {
    posix_spawn_file_actions_adddup2(&setup.actions, input.read, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&setup.actions, output.write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, output.write, STDERR_FILENO);
  if (request.control_pipe) {
    posix_spawn_file_actions_adddup2(&setup.actions, control.write, kControlFd);
  }
  if (!request.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions,
                                         request.working_dir.c_str());
  }

  auto argv = CStrings(request.argv);
  auto envp = CStrings(request.env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &setup.actions, &setup.attr,
                             argv.data(), envp.data());
  if (rc != 0) {
    return ErrnoError(text::Cat("cannot start ", request.argv[0]), rc);
  }
  // The child's ends: closed here so that EOF means the child is gone.
  output.CloseWrite();
  input.CloseRead();
  control.CloseWrite();
  return SpawnedProcess{pid, output.ReleaseRead(), input.ReleaseWrite(),
                        control.ReleaseRead()};
}

}  // namespace

std::vector<std::string> CleanNodeEnvironment(const std::string& home) {
  return {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      text::Cat("HOME=", home),
      "LANG=C.UTF-8",
      "NODE_ENV=production",
  };
}

absl::Status MakePrivateDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        text::Cat("cannot create directory ", dir, ": ", ec.message()));
  }
  if (chmod(dir.c_str(), 0700) != 0) return ErrnoError(text::Cat("chmod ", dir), errno);
  return absl::OkStatus();
}

std::optional<std::uint64_t> ProcessStartTicks(pid_t pid) {
  std::ifstream stat(text::Cat("/proc/", pid, "/stat"));
  if (!stat) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(stat)),
                      std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'.
  const auto close_paren = content.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream fields(content.substr(close_paren + 2));
  std::string field;
  // Field 3 is the first after ')' (the state); start time is field 22.
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field)) return std::nullopt;
    if (index == 3 && (field == "Z" || field == "X")) return std::nullopt;
  }
  try {
    return std::stoull(field);
  } catch (...) {
    return std::nullopt;
  }
}

absl::StatusOr<BoundLoopbackSocket> BindLoopbackSocket() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoError("cannot bind 127.0.0.1:0", error);
  }
  return BoundLoopbackSocket{fd, ntohs(addr.sin_port)};
}

absl::StatusOr<std::uint16_t> PickFreeLoopbackPort() {
  auto bound = BindLoopbackSocket();
  if (!bound.ok()) return bound.status();
  close(bound->fd);
  return bound->port;
}

}  // namespace mcpgw::runtime
