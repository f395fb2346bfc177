// mcp-gateway-sandbox: what the gateway runs in place of an instance's
// program. It takes the instance's limits, applies them to itself, then
// execs the program, so that DBHub (or a --server-command server, or a warm
// worker) starts already inside them:
//   1. Landlock rules opened while still privileged (paths the instance
//      user could not name still get none of the rights).
//   2. No supplementary groups, then the instance gid and uid (root only).
//   3. no_new_privs: neither a setuid binary nor file capabilities can give
//      anything back.
//   4. The Landlock domain.
//   5. The parent-death signal, armed after the uid change (a credential
//      change clears it), and a check that the gateway is still our parent.
//   6. exec, with the environment as the gateway gave it.
// A step that fails ends the launch with a message on stderr (which the
// gateway keeps as the instance's reason) and exit status 126.

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/sandbox/landlock.h"
#include "runtime/sandbox/launch_options.h"

namespace {

using mcpgw::sandbox::LaunchOptions;
using mcpgw::sandbox::PathAccess;

constexpr int kLaunchFailed = 126;

[[noreturn]] void Fail(const std::string& what, int error_number = 0) {
  std::string message = std::string(mcpgw::sandbox::kLauncherName) + ": " + what;
  if (error_number != 0) message += std::string(": ") + std::strerror(error_number);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  // _exit: nothing of this process (sanitizer leak checks included) runs
  // after a failed launch.
  _exit(kLaunchFailed);
}

void DropPrivileges(const LaunchOptions& options) {
  if (!options.uid) return;
  if (setgroups(0, nullptr) != 0) Fail("setgroups", errno);
  if (setresgid(*options.gid, *options.gid, *options.gid) != 0) Fail("setresgid", errno);
  if (setresuid(*options.uid, *options.uid, *options.uid) != 0) Fail("setresuid", errno);
  // Root cannot be regained: checked rather than assumed.
  if (*options.uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
    Fail("the uid change did not hold");
  }
}

void ArmParentDeath(const LaunchOptions& options) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Fail("PR_SET_PDEATHSIG", errno);
  // The gateway may have died between our spawn and the line above.
  if (options.parent && getppid() != *options.parent) Fail("the gateway is gone");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::printf(
        "usage: %s [--uid N --gid N] [--parent PID] [--no-landlock]\n"
        "          [--read PATH]... [--exec PATH]... [--write PATH]... -- PROGRAM ARGS...\n"
        "Runs PROGRAM as uid/gid with no supplementary groups, no_new_privs,\n"
        "a Landlock domain that allows only the listed paths, and SIGKILL\n"
        "when its parent (the gateway) dies. Started by mcp-gateway.\n",
        mcpgw::sandbox::kLauncherName);
    return 0;
  }
  auto parsed = mcpgw::sandbox::ParseLaunchOptions(args);
  if (auto* error = std::get_if<std::string>(&parsed)) Fail(*error);
  LaunchOptions& options = std::get<LaunchOptions>(parsed);
  if (const char* paths = std::getenv(mcpgw::sandbox::kWritePathsEnv)) {
    if (auto error = mcpgw::sandbox::AddWritePathsFromEnv(paths, options)) Fail(*error);
    // The program gets the environment the gateway meant for it.
    unsetenv(mcpgw::sandbox::kWritePathsEnv);
  }

  const int abi = options.landlock ? mcpgw::sandbox::LandlockAbi() : 0;
  std::optional<mcpgw::sandbox::LandlockRuleset> ruleset;
  if (abi > 0) {
    ruleset.emplace(abi);
    for (const auto& path : options.read) ruleset->Allow(path, PathAccess::kRead);
    for (const auto& path : options.exec) ruleset->Allow(path, PathAccess::kExecute);
    for (const auto& path : options.write) ruleset->Allow(path, PathAccess::kWrite);
    if (!ruleset->ok()) Fail(ruleset->error());
  }
  DropPrivileges(options);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail("PR_SET_NO_NEW_PRIVS", errno);
  if (ruleset && !ruleset->Restrict()) Fail(ruleset->error());
  ArmParentDeath(options);

  std::vector<char*> command;
  for (const auto& arg : options.command) command.push_back(const_cast<char*>(arg.c_str()));
  command.push_back(nullptr);
  execv(command[0], command.data());
  Fail("cannot run " + options.command[0], errno);
}
