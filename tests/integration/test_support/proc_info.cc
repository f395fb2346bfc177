#include "test_support/proc_info.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/process_spawn.h"
#include "test_support/process.h"

namespace mcpgw::it {

// /proc/PID/stat is read by the runtime's own ProcessStartTicks: one parser
// of that format, which also treats a zombie as gone.

std::optional<ProcessIdentity> IdentifyProcess(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto ticks = runtime::ProcessStartTicks(pid);
  if (!ticks.has_value()) return std::nullopt;
  return ProcessIdentity{pid, *ticks};
}

bool IsRunning(pid_t pid) {
  return pid > 0 && runtime::ProcessStartTicks(pid).has_value();
}

bool IsRunning(const ProcessIdentity& identity) {
  return identity.pid > 0 &&
         runtime::ProcessStartTicks(identity.pid) == identity.start_ticks;
}

std::vector<std::pair<pid_t, std::string>> AllCommandLines() {
  std::vector<std::pair<pid_t, std::string>> result;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() ||
        name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::string cmdline = ReadFileOrEmpty(entry.path() / "cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    result.emplace_back(static_cast<pid_t>(std::atoi(name.c_str())),
                        std::move(cmdline));
  }
  return result;
}

long ProcessRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

std::optional<std::uint64_t> ProcessCpuTicks(pid_t pid) {
  const std::string stat =
      ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) may hold spaces: fields are counted after
  // its closing parenthesis. utime and stime are fields 14 and 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string skipped;
  for (int field = 3; field < 14; ++field) fields >> skipped;
  std::uint64_t user = 0;
  std::uint64_t system = 0;
  if (!(fields >> user >> system)) return std::nullopt;
  return user + system;
}

std::vector<std::string> ProcessEnvironment(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::vector<std::string> out;
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (!entry.empty()) out.push_back(entry);
  }
  return out;
}

}  // namespace mcpgw::it
