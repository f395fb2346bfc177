#pragma once
// What the process runtime can tell about an instance's memory.

#include <cstdint>
#include <optional>

namespace mcpgw::runtime {

// Resident set size of process `pid` in bytes (from /proc/PID/statm);
// nullopt when the process is gone or unreadable.
std::optional<std::uint64_t> ResidentBytes(int pid);

}  // namespace mcpgw::runtime
