#pragma once
// A child process for the integration tests: started with posix_spawn in its
// own process group, stdout and stderr captured together in one file.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mcpgw::it {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // Receives stdout and stderr (truncated first). Empty: /dev/null.
  std::filesystem::path output_file;
  // Empty: the test's own working directory.
  std::filesystem::path working_dir;
  // "NAME=value" entries added to (or replacing in) the inherited environment.
  std::vector<std::string> extra_env;
};

class ChildProcess {
 public:
  // Throws std::runtime_error when the process cannot be started.
  explicit ChildProcess(const SpawnSpec& spec);
  // Kills (SIGKILL) and reaps the process if it is still there.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` unless the process has already been reaped (so a reused
  // pid is never hit). Returns whether the signal was sent.
  bool Signal(int signal);

  // Waits up to `timeout` for the process to end; returns its raw wait status,
  // or nullopt if it is still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

  // Reaps without blocking; true once the process has ended.
  bool HasExited();

  // Raw wait status once reaped.
  std::optional<int> wait_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "exit code 0", "killed by signal 9 (Killed)", ...
std::string DescribeWaitStatus(int wait_status);
bool ExitedWithCode(int wait_status, int code);

struct CommandResult {
  std::optional<int> wait_status;  // nullopt: timed out (the process was killed)
  std::string output;              // stdout and stderr
  bool ok() const;                 // exited with code 0
  std::string Describe() const;
};

// Runs a command to completion (killing it after `timeout`).
CommandResult RunCommand(SpawnSpec spec, std::chrono::milliseconds timeout);

// The whole content of a file ("" if it cannot be read).
std::string ReadFileOrEmpty(const std::filesystem::path& file);

}  // namespace mcpgw::it
