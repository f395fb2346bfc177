#include "src/sandbox_options.h"

#include <unistd.h>

#include <boost/program_options/value_semantic.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/text.h"
#include "policies/sqlite_path.h"
#include "runtime/sandbox/launch_options.h"

namespace mcpgw {
namespace po = boost::program_options;

namespace {

// FNV-1a: a short, stable name for a state directory.
std::string ShortId(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(hash));
  return std::string(out, 12);
}

}  // namespace

std::filesystem::path DefaultInstanceDir(const std::filesystem::path& state_dir) {
  const std::string id = ShortId(state_dir.lexically_normal().string());
  if (geteuid() == 0) return std::filesystem::path("/run/mcp-gateway") / id;
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && runtime_dir[0] == '/') {
    return std::filesystem::path(runtime_dir) / "mcp-gateway" / id;
  }
  return std::filesystem::path(text::Cat("/tmp/mcp-gateway-", geteuid())) / id;
}

po::options_description SandboxOptions::Describe() {
  po::options_description options(
      "Instance sandbox (process runtime; docs/security.md)");
  options.add_options()
      ("instance-user", po::value(&instance_user_),
       "As root: the user every instance (DBHub, warm worker, "
       "--server-command) runs as: a name, a uid or uid:gid, never root; no "
       "supplementary groups. Default: mcpgw-instance (deploy/setup.sh "
       "creates it), else 10001:10001. Files a DSN names are opened with "
       "this user's rights.")
      ("sandbox", po::value(&sandbox_)->default_value(sandbox_),
       "landlock: each instance may read only its runtime, the system's "
       "libraries and a few files of /etc, and write only its private "
       "directory, --sqlite-dir and its own sqlite files (Linux 5.13+; "
       "without it the gateway says so and relies on the user). none: no "
       "file limits beyond the user's.")
      ("sandbox-read", po::value(&extra_read_)->composing(),
       "Absolute path every instance may also read (repeatable), e.g. the "
       "files a --server-command needs.")
      ("instance-dir", po::value(&instance_dir_),
       "Parent of the instances' private working directories (0711, emptied "
       "at start). Default: /run/mcp-gateway/<id> as root, else "
       "$XDG_RUNTIME_DIR/mcp-gateway/<id> or /tmp/mcp-gateway-<uid>/<id>.");
  return options;
}

absl::Status SandboxOptions::Finish(const std::filesystem::path& state_dir,
                                    const std::filesystem::path& executable_dir,
                                    SandboxConfig& out) {
  if (sandbox_ != "landlock" && sandbox_ != "none") {
    return absl::InvalidArgumentError("--sandbox must be landlock or none");
  }
  out.landlock = sandbox_ == "landlock";
  if (!instance_user_.empty() && geteuid() != 0) {
    return absl::InvalidArgumentError(
        "--instance-user needs the gateway to run as root (otherwise "
        "instances run as the gateway's own user, confined by Landlock)");
  }
  out.instance_user = instance_user_;
  for (const auto& path : extra_read_) {
    if (path.empty() || path.front() != '/') {
      return absl::InvalidArgumentError(
          text::Cat("--sandbox-read='", path, "' is not an absolute path"));
    }
  }
  out.extra_read = extra_read_;
  out.instance_dir = instance_dir_.empty()
                         ? DefaultInstanceDir(state_dir)
                         : std::filesystem::absolute(instance_dir_).lexically_normal();
  const auto state = state_dir.lexically_normal();
  if (policies::PathInsideOrAt(out.instance_dir.native(), state.native()) ||
      policies::PathInsideOrAt(state.native(), out.instance_dir.native())) {
    return absl::InvalidArgumentError(
        "--instance-dir may neither lie in the state directory nor hold it: "
        "instances may not enter the state directory");
  }
  // Whether it is there is checked with the other files (src/config.cc).
  out.launcher = (executable_dir / sandbox::kLauncherName).lexically_normal().string();
  return absl::OkStatus();
}

nlohmann::json SandboxConfigJson(const SandboxConfig& config) {
  return {{"instance_user", config.instance_user},
          {"landlock", config.landlock},
          {"extra_read", config.extra_read},
          {"instance_dir", config.instance_dir.string()},
          {"launcher", config.launcher}};
}

}  // namespace mcpgw
