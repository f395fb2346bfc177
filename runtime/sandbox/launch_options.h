#pragma once
// The sandbox launcher's command line (mcp-gateway-sandbox): what the
// gateway asks for one instance. Parsing is pure so that it is tested apart
// from the system calls that apply it.
//
//   mcp-gateway-sandbox [--uid N --gid N] [--parent PID] [--no-landlock]
//       [--read PATH]... [--exec PATH]... [--write PATH]... -- PROGRAM ARGS...
//
// Nothing secret goes here: argv is world-readable in /proc. The DSN and the
// instance's token travel in the environment, which the launcher passes on
// to PROGRAM untouched.

#include <sys/types.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mcpgw::sandbox {

inline constexpr char kLauncherName[] = "mcp-gateway-sandbox";

// Paths the instance may also write, one per line, in the environment rather
// than argv: the sqlite files a DSN names are nobody else's business (argv is
// world-readable in /proc). The launcher removes the variable before exec.
inline constexpr char kWritePathsEnv[] = "MCPGW_SANDBOX_WRITE_PATHS";

struct LaunchOptions {
  // Switch to this uid/gid (no supplementary groups) before exec; needs root.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  // The gateway's pid: if it is no longer our parent when the parent-death
  // signal is armed, the gateway died already and we do not start.
  std::optional<pid_t> parent;
  bool landlock = true;
  std::vector<std::string> read;
  std::vector<std::string> exec;
  std::vector<std::string> write;
  std::vector<std::string> command;  // PROGRAM ARGS...
};

// The options, or a message for a person.
std::variant<LaunchOptions, std::string> ParseLaunchOptions(
    const std::vector<std::string>& args);

// Adds the paths in `value` (kWritePathsEnv's format) to `options.write`;
// a message for a person when one is not absolute.
std::optional<std::string> AddWritePathsFromEnv(const std::string& value,
                                                LaunchOptions& options);

// The inverse: the arguments (after argv[0]) that ParseLaunchOptions reads
// back as `options`.
std::vector<std::string> LaunchArguments(const LaunchOptions& options);

}  // namespace mcpgw::sandbox
