#pragma once
// What the access log and the metrics learn about one MCP request.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/observability/metrics.h"

namespace mcpgw::gateway {

struct Accounting {
  // Times the request from now on `clock` (which outlives it).
  explicit Accounting(const common::Clock& clock)
      : clock(&clock), start(clock.Now()) {}
  const common::Clock* clock;
  std::chrono::steady_clock::time_point start;
  McpRequestInfo info;
  std::string key_prefix;
  std::string instance_id;
  std::string_view outcome = outcome::kOk;
  unsigned status = 0;
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  double backend_seconds = -1;
  std::optional<int> refusal_code;
};

// Writes the access-log line and counts the request.
void Account(const Accounting& accounting, GatewayMetrics* metrics);

double Seconds(std::chrono::steady_clock::duration d);

}  // namespace mcpgw::gateway
