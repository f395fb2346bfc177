#pragma once
// posix_spawn of a child in its own process group, with a clean environment,
// a private working directory, and stdout+stderr joined into one pipe.
// posix_spawn, not fork: forking a large multithreaded parent is slow and
// unsafe.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::runtime {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::vector<std::string> env;   // NAME=value, the child's whole environment
  std::string working_dir;
  // A pipe to the child's stdin instead of /dev/null.
  bool stdin_pipe = false;
  // A pipe from the child's fd 3, kept apart from its output: the channel
  // over which a warm worker reports.
  bool control_pipe = false;
};

// The parent's ends of the child's pipes, all CLOEXEC so that no later child
// inherits them; -1 where not asked for.
struct SpawnedProcess {
  pid_t pid = -1;      // also its process group id
  int output_fd = -1;  // read end of the joined stdout/stderr pipe
  int stdin_fd = -1;   // write end of the child's stdin
  int control_fd = -1;  // read end of the child's fd 3
};

absl::StatusOr<SpawnedProcess> SpawnInOwnGroup(const SpawnRequest& request);

// The whole environment of a Node child before anything instance-specific
// is added: nothing of the gateway's own environment leaks into it.
std::vector<std::string> CleanNodeEnvironment(const std::string& home);

// Creates `dir` (and its parents) and makes it 0700.
absl::Status MakePrivateDirectory(const std::string& dir);

// Field 22 of /proc/PID/stat: with the pid, identifies a process across pid
// reuse. nullopt when the process is gone or a zombie.
std::optional<std::uint64_t> ProcessStartTicks(pid_t pid);

// A TCP socket bound (not listening) to 127.0.0.1 on a port the kernel
// chose. The caller owns `fd`.
struct BoundLoopbackSocket {
  int fd = -1;
  std::uint16_t port = 0;
};
absl::StatusOr<BoundLoopbackSocket> BindLoopbackSocket();

// A port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<std::uint16_t> PickFreeLoopbackPort();

}  // namespace mcpgw::runtime
