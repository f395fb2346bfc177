#pragma once
// Requests whose handler threw: the HTTP server's last line of defence
// caught it. Each one is a gateway bug (no client input should get there):
// the count is exported as mcp_gateway_internal_errors_total and the tests
// that send malformed input check that it stays 0.

#include <atomic>
#include <cstdint>

namespace mcpgw::gateway {

inline std::atomic<std::uint64_t>& InternalErrorCounter() {
  static std::atomic<std::uint64_t> count{0};
  return count;
}

inline std::uint64_t InternalErrorCount() {
  return InternalErrorCounter().load(std::memory_order_relaxed);
}

}  // namespace mcpgw::gateway
