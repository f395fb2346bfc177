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
};

struct SpawnedProcess {
  pid_t pid = -1;     // also its process group id
  int output_fd = -1;  // read end of the joined stdout/stderr pipe (CLOEXEC)
};

absl::StatusOr<SpawnedProcess> SpawnInOwnGroup(const SpawnRequest& request);

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
