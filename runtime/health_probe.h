#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace mcpgw::runtime {

// True when GET http://host:port/healthz answers 200 within `timeout`.
bool ProbeHealthz(const std::string& host, std::uint16_t port,
                  std::chrono::milliseconds timeout);

// True when GET http://host:port<path> answers within `timeout`: with 200,
// or with any HTTP status when `any_status` (a server without a health
// endpoint that answers at all is listening).
bool ProbeReadiness(const std::string& host, std::uint16_t port,
                    const std::string& path, bool any_status,
                    std::chrono::milliseconds timeout);

}  // namespace mcpgw::runtime
