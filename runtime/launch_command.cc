#include "runtime/launch_command.h"

#include <algorithm>
#include <array>

#include "common/text.h"

namespace mcpgw::runtime {
namespace {

// Names the gateway sets itself for every instance; a --server-env entry
// may not replace them (a fixed port or DSN would break the instance's
// isolation).
constexpr std::array<std::string_view, 8> kReservedNames = {
    kEnvPort,       kEnvHost, kEnvDsn, kEnvToken,
    "DBHUB_AUTH_TOKEN", "DBHUB_HOST", "TRANSPORT", "DSN_FILE"};

std::string_view NameOf(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

void ReplaceAll(std::string& text, std::string_view from,
                std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool ValidName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
  });
}

}  // namespace

std::string ExpandPlaceholders(std::string_view text,
                               const InstanceLaunch& instance) {
  std::string out(text);
  ReplaceAll(out, kPortPlaceholder, std::to_string(instance.port));
  ReplaceAll(out, kHostPlaceholder, instance.host);
  return out;
}

absl::Status ValidateExtraEnv(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto equals = entry.find('=');
    const std::string_view name = NameOf(entry);
    if (equals == std::string::npos || !ValidName(name)) {
      return absl::InvalidArgumentError(text::Cat(
          "--server-env='", name, "...': expected NAME=VALUE with NAME made "
          "of letters, digits and _"));
    }
    if (std::find(kReservedNames.begin(), kReservedNames.end(), name) !=
        kReservedNames.end()) {
      return absl::InvalidArgumentError(text::Cat(
          "--server-env: ", name,
          " is set by the gateway for every instance and cannot be given"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> MergeEnvironment(std::vector<std::string> base,
                                          const std::vector<std::string>& extra,
                                          const InstanceLaunch& instance) {
  for (const auto& entry : extra) {
    std::string expanded = ExpandPlaceholders(entry, instance);
    auto same_name = std::find_if(base.begin(), base.end(),
                                  [&](const std::string& existing) {
                                    return NameOf(existing) == NameOf(entry);
                                  });
    if (same_name != base.end()) {
      *same_name = std::move(expanded);
    } else {
      base.push_back(std::move(expanded));
    }
  }
  return base;
}

CommandLine DbhubCommandLine(const std::string& node_path,
                             const std::string& dbhub_entry,
                             std::vector<std::string> base_env,
                             const std::vector<std::string>& extra_env,
                             const InstanceLaunch& instance) {
  CommandLine line;
  // Only non-secret settings in argv: it is world-readable in /proc.
  line.argv = {node_path, dbhub_entry, "--transport", "http", "--port",
               std::to_string(instance.port)};
  line.env = MergeEnvironment(std::move(base_env), extra_env, instance);
  line.env.insert(line.env.end(),
                  {
                      "TRANSPORT=http",
                      text::Cat("PORT=", instance.port),
                      text::Cat("DBHUB_HOST=", instance.host),
                  });
  // Tenants' instances have no DSN: their sources come from --config.
  if (!instance.dsn.empty()) {
    line.env.push_back(text::Cat("DSN=", instance.dsn));
  }
  line.env.push_back(text::Cat("DBHUB_AUTH_TOKEN=", instance.token));
  return line;
}

CommandLine CustomCommandLine(const ServerCommand& command,
                              std::vector<std::string> base_env,
                              const std::vector<std::string>& extra_env,
                              const InstanceLaunch& instance) {
  CommandLine line;
  line.argv.push_back(command.program);
  for (const auto& arg : command.args) {
    line.argv.push_back(ExpandPlaceholders(arg, instance));
  }
  line.env = MergeEnvironment(std::move(base_env), extra_env, instance);
  line.env.insert(line.env.end(),
                  {
                      text::Cat(kEnvPort, "=", instance.port),
                      text::Cat(kEnvHost, "=", instance.host),
                      text::Cat(kEnvDsn, "=", instance.dsn),
                      text::Cat(kEnvToken, "=", instance.token),
                  });
  return line;
}

}  // namespace mcpgw::runtime
