#pragma once
// What the process runtime runs for one instance: DBHub by default, or any
// MCP server that speaks Streamable HTTP on /mcp (the command is
// configuration). Pure: builds argv and environment, starts nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mcpgw::runtime {

// Placeholders expanded in --server-arg and --server-env values. The DSN and
// the bearer token have none on purpose: argv is world-readable in /proc.
inline constexpr std::string_view kPortPlaceholder = "{port}";
inline constexpr std::string_view kHostPlaceholder = "{host}";

// Environment names a custom server receives for every instance.
inline constexpr std::string_view kEnvPort = "PORT";
inline constexpr std::string_view kEnvHost = "HOST";
inline constexpr std::string_view kEnvDsn = "DSN";
inline constexpr std::string_view kEnvToken = "MCP_GATEWAY_AUTH_TOKEN";

// A custom MCP server instead of DBHub.
struct ServerCommand {
  std::string program;            // absolute path of the executable
  std::vector<std::string> args;  // after the program; may hold placeholders
};

// How readiness of an instance is decided: an HTTP GET on `path` that
// answers 200 (`any_status` false) or answers at all (`any_status` true:
// for servers without a health endpoint, e.g. GET /mcp answering 400).
struct ReadinessCheck {
  std::string path = "/healthz";
  bool any_status = false;
};

// The per-instance part of a launch.
struct InstanceLaunch {
  std::string host;  // where the instance listens
  std::uint16_t port = 0;
  std::string dsn;    // secret: environment only
  std::string token;  // secret: environment only
};

struct CommandLine {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::vector<std::string> env;   // NAME=value, the whole environment
};

// Replaces every {port} and {host} in `text`.
std::string ExpandPlaceholders(std::string_view text,
                               const InstanceLaunch& instance);

// Checks --server-env entries: NAME=VALUE with a valid name that is not one
// the gateway sets per instance (the port, the DSN, the token).
absl::Status ValidateExtraEnv(const std::vector<std::string>& entries);

// `base` with `extra` applied: an extra NAME replaces the base entry of that
// name (e.g. PATH), other extras are appended; placeholders expanded.
std::vector<std::string> MergeEnvironment(std::vector<std::string> base,
                                          const std::vector<std::string>& extra,
                                          const InstanceLaunch& instance);

// DBHub: `node <entry> --transport http --port N`, the DSN and the token in
// DBHUB's environment variables.
CommandLine DbhubCommandLine(const std::string& node_path,
                             const std::string& dbhub_entry,
                             std::vector<std::string> base_env,
                             const std::vector<std::string>& extra_env,
                             const InstanceLaunch& instance);

// A custom server: its program and expanded args; PORT, HOST, DSN and
// MCP_GATEWAY_AUTH_TOKEN in its environment.
CommandLine CustomCommandLine(const ServerCommand& command,
                              std::vector<std::string> base_env,
                              const std::vector<std::string>& extra_env,
                              const InstanceLaunch& instance);

}  // namespace mcpgw::runtime
