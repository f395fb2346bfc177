#include "runtime/container_spec.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "common/text.h"

namespace mcpgw::runtime {

std::string BuildCreateBody(const ContainerSpec& spec) {
  using nlohmann::json;
  const std::string port = std::to_string(spec.port);
  json host_config = {
      {"NetworkMode", spec.network.empty() ? "host" : spec.network},
      // Nothing in the image is written to; DBHub needs only a scratch /tmp.
      {"ReadonlyRootfs", true},
      {"Tmpfs",
       {{"/tmp", text::Cat("rw,nosuid,nodev,noexec,size=", spec.limits.tmpfs_size)}}},
      {"CapDrop", json::array({"ALL"})},
      {"SecurityOpt", json::array({"no-new-privileges"})},
      {"Memory", spec.limits.memory_bytes},
      // No swap beyond the memory limit.
      {"MemorySwap", spec.limits.memory_bytes},
      {"NanoCpus", spec.limits.nano_cpus},
      {"PidsLimit", spec.limits.pids_limit},
      // An init as pid 1 forwards SIGTERM to node and reaps its children.
      {"Init", true},
      // The gateway removes containers itself, after reading their logs.
      {"AutoRemove", false},
      {"RestartPolicy", {{"Name", "no"}}},
  };
  std::vector<std::string> binds = spec.binds;
  // Non-secret settings only: argv is visible in inspect and /proc.
  json cmd = json::array({"--transport", "http", "--port", port});
  auto labels = spec.labels;
  if (!spec.config_dir.empty()) {
    binds.push_back(text::Cat(spec.config_dir, ":", kContainerConfigDir, ":ro"));
    cmd.push_back(
        text::Cat("--config=", kContainerConfigDir, "/", kConfigFileName));
    labels[container_label::kDbhubConfig] = "1";
  }
  if (!binds.empty()) host_config["Binds"] = std::move(binds);
  json env = json::array({
      "TRANSPORT=http",
      text::Cat("PORT=", port),
      text::Cat("DBHUB_HOST=", spec.listen_host),
      "HOME=/tmp",
      "NODE_ENV=production",
  });
  // A tenant's instance has no DSN of its own: its sources are in the config.
  if (!spec.dsn.empty()) env.push_back(text::Cat("DSN=", spec.dsn));
  env.push_back(text::Cat("DBHUB_AUTH_TOKEN=", spec.bearer_token));
  for (const auto& entry : spec.secret_env) env.push_back(entry);
  json body = {
      {"Image", spec.image},
      {"Cmd", std::move(cmd)},
      {"Env", std::move(env)},
      {"User", spec.user},
      {"Labels", std::move(labels)},
      {"Tty", false},
      {"AttachStdin", false},
      {"OpenStdin", false},
      {"HostConfig", std::move(host_config)},
  };
  if (!spec.network.empty()) {
    body["ExposedPorts"] = {{text::Cat(port, "/tcp"), json::object()}};
  }
  return body.dump();
}

std::map<std::string, std::string> BuildLabels(std::string_view gateway_id,
                                               std::string_view instance_id,
                                               std::string_view key_prefix,
                                               std::string_view created_at) {
  return {
      {container_label::kGatewayId, std::string(gateway_id)},
      {container_label::kInstanceId, std::string(instance_id)},
      {container_label::kKeyPrefix, std::string(key_prefix)},
      {container_label::kCreatedAt, std::string(created_at)},
  };
}

std::string GatewayLabelFilter(std::string_view gateway_id) {
  const nlohmann::json filter = {
      {"label", nlohmann::json::array(
                    {text::Cat(container_label::kGatewayId, "=", gateway_id)})}};
  return filter.dump();
}

std::string DemuxLogStream(std::string_view raw) {
  constexpr std::size_t kHeader = 8;
  auto is_frame_header = [&](std::size_t at) {
    return at + kHeader <= raw.size() && static_cast<unsigned char>(raw[at]) <= 2 &&
           raw[at + 1] == 0 && raw[at + 2] == 0 && raw[at + 3] == 0;
  };
  if (raw.empty() || !is_frame_header(0)) return std::string(raw);
  std::string out;
  std::size_t at = 0;
  while (at < raw.size()) {
    if (!is_frame_header(at)) break;
    const auto byte = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(raw[at + i]));
    };
    const std::size_t length =
        (byte(4) << 24) | (byte(5) << 16) | (byte(6) << 8) | byte(7);
    at += kHeader;
    const std::size_t take = std::min(length, raw.size() - at);
    out.append(raw.substr(at, take));
    at += take;
  }
  return out;
}

absl::StatusOr<std::int64_t> ParseByteSize(std::string_view text) {
  std::string digits(text);
  std::int64_t unit = 1;
  if (!digits.empty()) {
    switch (text::LowerChar(digits.back())) {
      case 'b': unit = 1; digits.pop_back(); break;
      case 'k': unit = 1024; digits.pop_back(); break;
      case 'm': unit = 1024LL * 1024; digits.pop_back(); break;
      case 'g': unit = 1024LL * 1024 * 1024; digits.pop_back(); break;
      default: break;
    }
  }
  if (digits.empty() || digits.size() > 12 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(text::Cat(
        "'", text, "' is not a size (e.g. 512m, 1g, 268435456)"));
  }
  const std::int64_t value = std::strtoll(digits.c_str(), nullptr, 10) * unit;
  if (value <= 0) {
    return absl::InvalidArgumentError(text::Cat("'", text, "' is not positive"));
  }
  return value;
}

absl::StatusOr<std::int64_t> ParseCpus(std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double cpus = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !(cpus > 0) ||
      cpus > 1024) {
    return absl::InvalidArgumentError(text::Cat(
        "'", text, "' is not a CPU count (e.g. 0.5, 1, 2)"));
  }
  return static_cast<std::int64_t>(std::llround(cpus * 1e9));
}

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace mcpgw::runtime
