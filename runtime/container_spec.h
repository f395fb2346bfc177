#pragma once
// What a DBHub container is made of, as Docker Engine API JSON: the create
// body (isolation, limits, environment), the labels that let a restarted
// gateway find its containers, and the decoding of the logs stream. Pure.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::runtime {

// Label names on every container the gateway creates. Nothing secret.
namespace container_label {
inline constexpr const char* kGatewayId = "mcp-gateway.gateway-id";
inline constexpr const char* kInstanceId = "mcp-gateway.instance-id";
inline constexpr const char* kKeyPrefix = "mcp-gateway.key-prefix";
inline constexpr const char* kCreatedAt = "mcp-gateway.created-at";
// Set ("1") on containers started with a DBHub config (tenants, --readonly,
// --max-rows): a restarted gateway removes them instead of adopting them.
inline constexpr const char* kDbhubConfig = "mcp-gateway.dbhub-config";
}  // namespace container_label

// Where a container finds its DBHub config: the host directory holding
// dbhub.toml is bind-mounted read-only here.
inline constexpr const char* kContainerConfigDir = "/mcp-gateway";
inline constexpr const char* kConfigFileName = "dbhub.toml";

struct ContainerLimits {
  std::int64_t memory_bytes = 512LL * 1024 * 1024;
  std::int64_t nano_cpus = 1'000'000'000;  // one CPU
  std::int64_t pids_limit = 256;
  std::string tmpfs_size = "64m";  // the only writable place, /tmp
};

struct ContainerSpec {
  std::string image;
  std::string user;  // uid:gid, never root
  // Secrets: only ever in the environment.
  std::string dsn;
  std::string bearer_token;
  // "NAME=value" entries added to the environment (a tenant's DSNs). Secret.
  std::vector<std::string> secret_env;
  // Host directory holding dbhub.toml (not secret: DSNs in it are ${VAR}).
  // Set: mounted read-only at kContainerConfigDir, DBHub started with
  // --config and the container labelled kDbhubConfig.
  std::string config_dir;
  std::uint16_t port = 0;   // DBHub's port inside the container
  std::string listen_host;  // DBHub's bind address inside the container
  // Empty: the host's network namespace (DBHub on host loopback). Else the
  // name of an engine network the gateway can reach.
  std::string network;
  std::vector<std::string> binds;  // "source:target[:ro]"
  ContainerLimits limits;
  std::map<std::string, std::string> labels;
};

// The JSON body of POST /containers/create.
std::string BuildCreateBody(const ContainerSpec& spec);

std::map<std::string, std::string> BuildLabels(std::string_view gateway_id,
                                               std::string_view instance_id,
                                               std::string_view key_prefix,
                                               std::string_view created_at);

// The `filters` query value that lists one gateway's containers.
std::string GatewayLabelFilter(std::string_view gateway_id);

// GET /containers/{id}/logs of a container without a TTY is multiplexed:
// frames of an 8-byte header (stream, 0, 0, 0, big-endian length) and the
// payload. Returns the payloads concatenated; text that is not such a
// stream (a TTY container) is returned as is; a truncated last frame keeps
// what arrived.
std::string DemuxLogStream(std::string_view raw);

// "512m", "1g", "256k", "1048576" (bytes) → bytes.
absl::StatusOr<std::int64_t> ParseByteSize(std::string_view text);
// "1.5" CPUs → 1'500'000'000 NanoCpus.
absl::StatusOr<std::int64_t> ParseCpus(std::string_view text);

// Percent-encodes a query value (the filters JSON).
std::string QueryEscape(std::string_view text);

}  // namespace mcpgw::runtime
