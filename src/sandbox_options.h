#pragma once
// Flags of the instance sandbox (process runtime): which user instances run
// as, whether Landlock confines them, where their private directories live.
// runtime/instance_sandbox.h says what an instance may touch.

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"

namespace mcpgw {

struct SandboxConfig {
  // --instance-user as given (empty: the default user); used as root only.
  std::string instance_user;
  // --sandbox=landlock (default) or none.
  bool landlock = true;
  // --sandbox-read: more paths every instance may read.
  std::vector<std::string> extra_read;
  // Parent of the instances' private directories (outside the state
  // directory, which instances may not enter).
  std::filesystem::path instance_dir;
  // mcp-gateway-sandbox, beside the gateway binary.
  std::string launcher;
};

class SandboxOptions {
 public:
  // The flags, bound to this object: keep it alive until Finish.
  boost::program_options::options_description Describe();
  // Validates and fills `out`; `state_dir` names the default instance dir,
  // `executable_dir` where the launcher is.
  absl::Status Finish(const std::filesystem::path& state_dir,
                      const std::filesystem::path& executable_dir,
                      SandboxConfig& out);

 private:
  std::string instance_user_;
  std::string sandbox_ = "landlock";
  std::vector<std::string> extra_read_;
  std::string instance_dir_;
};

// Default parent of the private directories: /run/mcp-gateway/<id> as root,
// else $XDG_RUNTIME_DIR/mcp-gateway/<id> or /tmp/mcp-gateway-<uid>/<id>,
// where <id> comes from the state directory (two gateways never share it).
std::filesystem::path DefaultInstanceDir(const std::filesystem::path& state_dir);

nlohmann::json SandboxConfigJson(const SandboxConfig& config);

}  // namespace mcpgw
