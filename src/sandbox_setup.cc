#include "src/sandbox_setup.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "runtime/sandbox/landlock.h"

namespace mcpgw {
namespace {

void AddUnique(std::vector<std::string>& list, std::string path) {
  for (const auto& existing : list) {
    if (existing == path) return;
  }
  list.push_back(std::move(path));
}

// What the instances' program needs to read and execute.
void AddRuntime(const Config& config, runtime::InstanceSandbox& sandbox) {
  if (!config.server_command.empty()) {
    AddUnique(sandbox.exec_paths, runtime::RuntimeTreeOf(config.server_command));
    // A server started through an interpreter names its script (and so its
    // package) in an argument.
    for (const auto& arg : config.server_args) {
      std::error_code error;
      if (!arg.empty() && arg.front() == '/' && std::filesystem::exists(arg, error)) {
        AddUnique(sandbox.exec_paths, runtime::RuntimeTreeOf(arg));
      }
    }
    return;
  }
  AddUnique(sandbox.exec_paths, runtime::RuntimeTreeOf(config.node_path));
  AddUnique(sandbox.exec_paths, runtime::RuntimeTreeOf(config.dbhub_entry));
  // The preloader alone, not the directory it sits in (the build tree).
  if (!config.warm_preloader.empty()) AddUnique(sandbox.read_paths, config.warm_preloader);
}

// The instance user must be able to run what it is asked to run.
absl::Status CheckRuntimeReachable(const Config& config,
                                   const runtime::InstanceUser& user) {
  if (!config.server_command.empty()) {
    return runtime::CheckReachableBy(config.server_command, user, true);
  }
  if (auto status = runtime::CheckReachableBy(config.node_path, user, true);
      !status.ok()) {
    return status;
  }
  return runtime::CheckReachableBy(config.dbhub_entry, user, false);
}

}  // namespace

absl::StatusOr<runtime::InstanceSandbox> SetUpInstanceSandbox(const Config& config) {
  runtime::InstanceSandbox sandbox;
  sandbox.launcher = config.sandbox.launcher;
  if (geteuid() == 0) {
    auto user = runtime::ResolveInstanceUser(config.sandbox.instance_user);
    if (!user.ok()) return user.status();
    if (auto status = CheckRuntimeReachable(config, *user); !status.ok()) {
      return status;
    }
    sandbox.user = *std::move(user);
  }
  const int abi = config.sandbox.landlock ? sandbox::LandlockAbi() : 0;
  sandbox.landlock = abi > 0;
  const std::string who =
      sandbox.user ? text::Cat("as ", sandbox.user->name, " (uid ",
                               sandbox.user->uid, ", gid ", sandbox.user->gid, ")")
                   : std::string("as the gateway's own user");
  if (!config.sandbox.landlock) {
    spdlog::warn("instances run {} with no file limits (--sandbox=none)", who);
  } else if (abi == 0) {
    spdlog::warn(
        "this kernel has no Landlock (Linux 5.13+, enabled at boot): instances "
        "run {} with no file limits beyond that user's rights", who);
  } else {
    spdlog::info("instances run {}, confined by Landlock (ABI {})", who, abi);
  }
  sandbox.read_paths = runtime::SystemReadPaths();
  sandbox.exec_paths = runtime::SystemExecPaths();
  AddRuntime(config, sandbox);
  for (const auto& path : config.sandbox.extra_read) AddUnique(sandbox.read_paths, path);
  if (!config.sqlite_dir.empty()) sandbox.write_paths.push_back(config.sqlite_dir.string());
  if (auto status = runtime::PrepareInstanceRoot(config.sandbox.instance_dir);
      !status.ok()) {
    return status;
  }
  return sandbox;
}

}  // namespace mcpgw
