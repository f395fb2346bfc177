#pragma once
// Flags of the MCP protocol layer: sessions, Origin and Host checks, SSE
// keep-alives and replay buffers.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"

namespace mcpgw {

struct ProtocolConfig {
  std::chrono::seconds session_ttl{std::chrono::hours(24)};
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  std::chrono::seconds sse_keepalive{15};
  std::size_t replay_buffer_bytes = 1024 * 1024;
  std::chrono::seconds replay_buffer_age{300};
};

class ProtocolOptions {
 public:
  // The flags, bound to this object: keep it alive until Finish.
  boost::program_options::options_description Describe();
  // Validates what was parsed into `out`; `listen` decides the default
  // Host policy.
  absl::Status Finish(const std::string& listen, ProtocolConfig& out);

 private:
  std::string session_ttl_ = "24h";
  std::vector<std::string> allowed_origins_;
  std::vector<std::string> allowed_hosts_;
  std::string sse_keepalive_ = "15s";
  long long replay_bytes_ = 1024 * 1024;
  std::string replay_age_ = "5m";
};

nlohmann::json ProtocolConfigJson(const ProtocolConfig& config);

// True for 127.0.0.0/8, ::1 and localhost listen addresses.
bool IsLoopbackListen(const std::string& listen);

}  // namespace mcpgw
