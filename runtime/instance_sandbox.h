#pragma once
// How the process runtime confines every process it starts (DBHub
// instances, warm-pool workers, --server-command servers): the launcher
// mcp-gateway-sandbox runs in its place, drops to the instance user, sets
// no_new_privs and a Landlock domain, arms the parent-death signal, and
// execs the real program. This file decides the launcher's command line;
// runtime/sandbox/launcher_main.cc applies it.
//
// What an instance may touch (docs/security.md):
//   read+execute  its runtime: Node and DBHub (their node_modules trees), or
//                 the server's program and the trees its absolute arguments
//                 live in; the system's libraries (/usr, /lib*)
//   read          a few files of /etc (TLS roots, name resolution, time
//                 zones), /proc, the cgroup and CPU facts under /sys, and
//                 --sandbox-read paths
//   read+write    its private working directory; --sqlite-dir; the sqlite
//                 files its own DSNs name (without --sqlite-dir)
// Nothing else: not the state directory, not another instance's directory.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::runtime {

// The uid/gid instances run as when the gateway is root.
struct InstanceUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;  // for messages; "uid N" when it has no passwd entry
};

// The system user deploy/setup.sh creates for instances.
inline constexpr char kDefaultInstanceUser[] = "mcpgw-instance";
// Used when that user does not exist: the DBHub image's user.
inline constexpr uid_t kFallbackInstanceUid = 10001;

// `spec`: a user name, a uid, or uid:gid; empty: the default user, else
// 10001:10001. Root (uid 0) is refused.
absl::StatusOr<InstanceUser> ResolveInstanceUser(const std::string& spec);

// OK when `user` can reach `path` (search every directory on the way, and
// read, or execute when `execute`, the file itself) by its mode bits; else
// FailedPrecondition naming the first directory or file that stops it.
absl::Status CheckReachableBy(const std::filesystem::path& path,
                              const InstanceUser& user, bool execute);

struct InstanceSandbox {
  // Absolute path of mcp-gateway-sandbox.
  std::string launcher;
  // Set when the gateway is root: instances run as this user.
  std::optional<InstanceUser> user;
  // Landlock on (the kernel has it and --sandbox is not none).
  bool landlock = true;
  std::vector<std::string> read_paths;   // read only
  std::vector<std::string> exec_paths;   // read and execute
  std::vector<std::string> write_paths;  // read and write (--sqlite-dir)
};

// The directories and files every instance may read: system libraries,
// TLS roots, name resolution, /proc.
std::vector<std::string> SystemReadPaths();
std::vector<std::string> SystemExecPaths();

// What a program at `path` needs to read and execute: the nearest
// node_modules directory above it (a package needs its dependencies), else
// its own directory. `path` is resolved first (node_modules/.bin links).
std::string RuntimeTreeOf(const std::filesystem::path& path);

// How to start one process in the sandbox: the launcher's argv and one
// more environment entry for the program's private write paths.
struct SandboxedLaunch {
  std::vector<std::string> argv;
  std::string env;  // NAME=value; empty when there is nothing to add
};

// `command` (argv[0] absolute) run in `sandbox`, with `private_dir` writable,
// `database_files` (and their journals) readable and writable, and the
// gateway's pid as the parent. The database files travel in the
// environment, never in argv.
SandboxedLaunch SandboxedCommand(const InstanceSandbox& sandbox,
                                 const std::filesystem::path& private_dir,
                                 const std::vector<std::string>& database_files,
                                 std::vector<std::string> command);

// True when every file in `database_files` lies inside a write path of
// `sandbox`: a warm worker, whose limits were set before it knew its DSN,
// can open them.
bool CoveredByWritePaths(const InstanceSandbox& sandbox,
                         const std::vector<std::string>& database_files);

// The sqlite files named by `dsn` and by the sqlite DSNs among the values of
// `secret_env` (NAME=value): what an instance's own rules must allow.
std::vector<std::string> DatabaseFilesOf(const std::string& dsn,
                                         const std::vector<std::string>& secret_env);

// Creates the parent of the instances' private directories: owned by the
// gateway's user, 0711 (the instance user may enter it, list nothing), and
// not a symbolic link or someone else's directory (it may live in /tmp).
// Empties it: what is left there belongs to an earlier run's instances.
absl::Status PrepareInstanceRoot(const std::filesystem::path& dir);

// Creates `dir` 0700 owned by the instance user (by the gateway's user when
// `user` is unset).
absl::Status MakeInstanceDirectory(const std::filesystem::path& dir,
                                   const std::optional<InstanceUser>& user);

// Hands a file the gateway wrote (the instance's DBHub config) to the
// instance user; nothing when `user` is unset.
absl::Status GiveToInstance(const std::filesystem::path& file,
                            const std::optional<InstanceUser>& user);

}  // namespace mcpgw::runtime
