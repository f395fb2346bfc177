#include "runtime/instance_sandbox.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/text.h"
#include "policies/sqlite_path.h"
#include "runtime/sandbox/launch_options.h"

namespace mcpgw::runtime {
namespace {

namespace fs = std::filesystem;

// The files SQLite keeps beside a database: its rollback journal and, in
// WAL mode, the log and the shared-memory index.
constexpr const char* kJournalSuffixes[] = {"-journal", "-wal", "-shm"};

std::optional<unsigned long> ParseNumber(std::string_view text) {
  unsigned long value = 0;
  const auto* end = text.data() + text.size();
  auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || at != end) return std::nullopt;
  return value;
}

absl::StatusOr<InstanceUser> UserFromPasswd(const std::string& name) {
  const passwd* entry = getpwnam(name.c_str());
  if (entry == nullptr) {
    return absl::InvalidArgumentError(text::Cat(
        "--instance-user: no user named '", name,
        "' (deploy/setup.sh creates ", kDefaultInstanceUser,
        "; or give a uid or uid:gid)"));
  }
  return InstanceUser{entry->pw_uid, entry->pw_gid, name};
}

bool Allows(const struct stat& st, const InstanceUser& user, mode_t owner,
            mode_t group, mode_t other) {
  if (st.st_uid == user.uid) return (st.st_mode & owner) != 0;
  if (st.st_gid == user.gid) return (st.st_mode & group) != 0;
  return (st.st_mode & other) != 0;
}

}  // namespace

absl::StatusOr<InstanceUser> ResolveInstanceUser(const std::string& spec) {
  InstanceUser user;
  if (spec.empty()) {
    if (getpwnam(kDefaultInstanceUser) != nullptr) {
      return UserFromPasswd(kDefaultInstanceUser);
    }
    user = {kFallbackInstanceUid, kFallbackInstanceUid,
            text::Cat("uid ", kFallbackInstanceUid)};
  } else if (const auto colon = spec.find(':'); colon != std::string::npos) {
    const auto uid = ParseNumber(std::string_view(spec).substr(0, colon));
    const auto gid = ParseNumber(std::string_view(spec).substr(colon + 1));
    if (!uid || !gid) {
      return absl::InvalidArgumentError(text::Cat(
          "--instance-user='", spec, "': expected a user name, a uid or uid:gid"));
    }
    user = {static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
            text::Cat("uid ", *uid)};
  } else if (const auto uid = ParseNumber(spec)) {
    const passwd* entry = getpwuid(static_cast<uid_t>(*uid));
    user = {static_cast<uid_t>(*uid),
            entry != nullptr ? entry->pw_gid : static_cast<gid_t>(*uid),
            entry != nullptr ? std::string(entry->pw_name) : text::Cat("uid ", *uid)};
  } else {
    auto named = UserFromPasswd(spec);
    if (!named.ok()) return named.status();
    user = *std::move(named);
  }
  if (user.uid == 0 || user.gid == 0) {
    return absl::InvalidArgumentError(
        "--instance-user: instances never run as root (uid or gid 0)");
  }
  return user;
}

absl::Status CheckReachableBy(const fs::path& path, const InstanceUser& user,
                              bool execute) {
  std::error_code error;
  const fs::path real = fs::canonical(path, error);
  if (error) {
    return absl::FailedPreconditionError(
        text::Cat("cannot resolve ", path.string(), ": ", error.message()));
  }
  fs::path walked = "/";
  for (auto part = real.begin(); part != real.end(); ++part) {
    if (part->empty() || *part == "/") continue;
    struct stat st {};
    if (stat(walked.c_str(), &st) != 0 ||
        !Allows(st, user, S_IXUSR, S_IXGRP, S_IXOTH)) {
      return absl::FailedPreconditionError(text::Cat(
          "the instance user (", user.name, ") cannot reach ", real.string(),
          ": it may not enter ", walked.string(),
          " (make the path searchable, e.g. chmod o+x, install elsewhere, or "
          "choose --instance-user)"));
    }
    walked /= *part;
  }
  struct stat st {};
  const bool readable = stat(real.c_str(), &st) == 0 &&
                        Allows(st, user, S_IRUSR, S_IRGRP, S_IROTH) &&
                        (!execute || Allows(st, user, S_IXUSR, S_IXGRP, S_IXOTH));
  if (!readable) {
    return absl::FailedPreconditionError(text::Cat(
        "the instance user (", user.name, ") may not ",
        execute ? "run " : "read ", real.string()));
  }
  return absl::OkStatus();
}

std::vector<std::string> SystemReadPaths() {
  return {
      // The dynamic loader's cache, TLS roots, name resolution, time zones.
      "/etc/ld.so.cache", "/etc/ssl", "/etc/ca-certificates", "/etc/hosts",
      "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf",
      "/etc/gai.conf", "/etc/localtime", "/etc/services", "/etc/protocols",
      "/etc/passwd", "/etc/group",
      // Node reads its memory and CPU facts here; another process's
      // secrets in /proc stay behind the ptrace check, which Landlock
      // denies across domains.
      "/proc", "/sys/fs/cgroup", "/sys/devices/system/cpu",
      "/dev/urandom", "/dev/random", "/dev/zero"};
}

std::vector<std::string> SystemExecPaths() {
  return {"/usr", "/lib", "/lib64", "/bin", "/sbin"};
}

std::string RuntimeTreeOf(const fs::path& path) {
  std::error_code error;
  fs::path real = fs::weakly_canonical(path, error);
  if (error) real = path.lexically_normal();
  for (fs::path dir = real.parent_path(); dir.has_relative_path();
       dir = dir.parent_path()) {
    if (dir.filename() == "node_modules") return dir.string();
  }
  return fs::is_directory(real, error) ? real.string()
                                       : real.parent_path().string();
}

SandboxedLaunch SandboxedCommand(const InstanceSandbox& sandbox,
                                 const fs::path& private_dir,
                                 const std::vector<std::string>& database_files,
                                 std::vector<std::string> command) {
  sandbox::LaunchOptions options;
  if (sandbox.user) {
    options.uid = sandbox.user->uid;
    options.gid = sandbox.user->gid;
  }
  options.parent = getpid();
  options.landlock = sandbox.landlock;
  options.read = sandbox.read_paths;
  options.exec = sandbox.exec_paths;
  options.write = sandbox.write_paths;
  options.write.push_back(private_dir.string());
  options.write.push_back("/dev/null");
  options.command = std::move(command);
  SandboxedLaunch launch;
  launch.argv = {sandbox.launcher};
  for (auto& arg : sandbox::LaunchArguments(options)) launch.argv.push_back(std::move(arg));
  std::string files;
  for (const auto& file : database_files) {
    files += file + "\n";
    for (const char* suffix : kJournalSuffixes) files += file + suffix + "\n";
  }
  if (!files.empty()) launch.env = text::Cat(sandbox::kWritePathsEnv, "=", files);
  return launch;
}

bool CoveredByWritePaths(const InstanceSandbox& sandbox,
                         const std::vector<std::string>& database_files) {
  for (const auto& file : database_files) {
    bool covered = false;
    for (const auto& dir : sandbox.write_paths) {
      covered = covered ||
                policies::PathInsideOrAt(
                    fs::path(file).lexically_normal().native(),
                    fs::path(dir).lexically_normal().native());
    }
    if (!covered) return false;
  }
  return true;
}

std::vector<std::string> DatabaseFilesOf(const std::string& dsn,
                                         const std::vector<std::string>& secret_env) {
  std::vector<std::string> files;
  if (auto path = policies::SqliteFilePath(dsn)) files.push_back(path->string());
  for (const auto& entry : secret_env) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos) continue;
    if (auto path = policies::SqliteFilePath(std::string_view(entry).substr(equals + 1))) {
      files.push_back(path->string());
    }
  }
  return files;
}

absl::Status PrepareInstanceRoot(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  struct stat st {};
  if (error || lstat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(text::Cat(
        "cannot create the instances' directory ", dir.string(), ": ",
        error ? error.message() : std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
    return absl::FailedPreconditionError(text::Cat(
        "the instances' directory ", dir.string(),
        " is not a directory owned by the gateway's user (choose another "
        "with --instance-dir)"));
  }
  if (chmod(dir.c_str(), 0711) != 0) {
    return absl::InternalError(
        text::Cat("chmod ", dir.string(), ": ", std::strerror(errno)));
  }
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  return absl::OkStatus();
}

absl::Status MakeInstanceDirectory(const fs::path& dir,
                                   const std::optional<InstanceUser>& user) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        text::Cat("cannot create directory ", dir.string(), ": ", error.message()));
  }
  if (chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(
        text::Cat("chmod ", dir.string(), ": ", std::strerror(errno)));
  }
  return GiveToInstance(dir, user);
}

absl::Status GiveToInstance(const fs::path& file,
                            const std::optional<InstanceUser>& user) {
  if (!user) return absl::OkStatus();
  if (lchown(file.c_str(), user->uid, user->gid) != 0) {
    return absl::InternalError(text::Cat("cannot hand ", file.string(),
                                         " to the instance user: ",
                                         std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace mcpgw::runtime
