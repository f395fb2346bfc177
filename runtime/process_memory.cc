#include "runtime/process_memory.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace mcpgw::runtime {

std::optional<std::uint64_t> ResidentBytes(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  const long page = sysconf(_SC_PAGESIZE);
  return resident_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
}

}  // namespace mcpgw::runtime
