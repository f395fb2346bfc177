#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace mcpgw::runtime {

// True when GET http://host:port/healthz answers 200 within `timeout`.
bool ProbeHealthz(const std::string& host, std::uint16_t port,
                  std::chrono::milliseconds timeout);

}  // namespace mcpgw::runtime
