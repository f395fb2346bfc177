#include "test_support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mcpgw::it {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kWaitPollInterval{20};

std::vector<std::string> BuildEnvironment(
    const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr;
       ++entry) {
    const std::string item(*entry);
    const std::string name = item.substr(0, item.find('='));
    bool replaced = false;
    for (const auto& override_item : extra) {
      if (override_item.substr(0, override_item.find('=')) == name) {
        replaced = true;
        break;
      }
    }
    if (!replaced) env.push_back(item);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> PointersTo(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Owns the posix_spawn attribute objects for the duration of one spawn.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

}  // namespace

ChildProcess::ChildProcess(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::runtime_error("spawn: empty argv");
  SpawnAttributes sa;
  const std::string output =
      spec.output_file.empty() ? "/dev/null" : spec.output_file.string();
  posix_spawn_file_actions_addopen(&sa.actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&sa.actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&sa.actions, STDOUT_FILENO, STDERR_FILENO);
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&sa.actions,
                                         spec.working_dir.c_str());
  }
  // Own process group (a signal to the test never reaches it by accident),
  // default signal dispositions and an empty signal mask.
  sigset_t all;
  sigfillset(&all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETPGROUP |
                                         POSIX_SPAWN_SETSIGDEF |
                                         POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setsigmask(&sa.attr, &none);

  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = BuildEnvironment(spec.extra_env);
  auto argv = PointersTo(args);
  auto envp = PointersTo(env);
  const int rc = posix_spawnp(&pid_, args[0].c_str(), &sa.actions, &sa.attr,
                              argv.data(), envp.data());
  if (rc != 0) {
    throw std::runtime_error("cannot start " + args[0] + ": " + strerror(rc));
  }
}

ChildProcess::~ChildProcess() {
  if (!status_.has_value()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

bool ChildProcess::Signal(int signal) {
  if (HasExited()) return false;
  return kill(pid_, signal) == 0;
}

bool ChildProcess::HasExited() {
  if (status_.has_value()) return true;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = status;
    return true;
  }
  return false;
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!HasExited()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kWaitPollInterval);
  }
  return status_;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) +
           ")";
  }
  return "wait status " + std::to_string(wait_status);
}

bool ExitedWithCode(int wait_status, int code) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code;
}

bool CommandResult::ok() const {
  return wait_status.has_value() && ExitedWithCode(*wait_status, 0);
}

std::string CommandResult::Describe() const {
  std::string text = wait_status.has_value() ? DescribeWaitStatus(*wait_status)
                                             : std::string("timed out");
  return text + "; output:\n" + output;
}

CommandResult RunCommand(SpawnSpec spec, std::chrono::milliseconds timeout) {
  bool own_output = false;
  if (spec.output_file.empty()) {
    char name[] = "/tmp/mcpgw-it-cmd-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    close(fd);
    spec.output_file = name;
    own_output = true;
  }
  CommandResult result;
  {
    ChildProcess child(spec);
    result.wait_status = child.Wait(timeout);
  }  // a command still running here is killed by the destructor
  result.output = ReadFileOrEmpty(spec.output_file);
  if (own_output) {
    std::error_code ignored;
    std::filesystem::remove(spec.output_file, ignored);
  }
  return result;
}

std::string ReadFileOrEmpty(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace mcpgw::it
