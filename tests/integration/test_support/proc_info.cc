#include "test_support/proc_info.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "test_support/process.h"

namespace mcpgw::it {
namespace {

struct ProcStat {
  char state = '?';
  std::uint64_t start_ticks = 0;
};

std::optional<ProcStat> ReadStat(pid_t pid) {
  const std::string text =
      ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close_paren + 1));
  ProcStat stat;
  fields >> stat.state;
  // After the state come fields 4..21; the start time is field 22.
  std::string skipped;
  for (int field = 4; field <= 21; ++field) fields >> skipped;
  fields >> stat.start_ticks;
  if (!fields) return std::nullopt;
  return stat;
}

bool IsLiveState(char state) { return state != 'Z' && state != 'X'; }

}  // namespace

std::optional<ProcessIdentity> IdentifyProcess(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto stat = ReadStat(pid);
  if (!stat.has_value()) return std::nullopt;
  return ProcessIdentity{pid, stat->start_ticks};
}

bool IsRunning(pid_t pid) {
  if (pid <= 0) return false;
  auto stat = ReadStat(pid);
  return stat.has_value() && IsLiveState(stat->state);
}

bool IsRunning(const ProcessIdentity& identity) {
  if (identity.pid <= 0) return false;
  auto stat = ReadStat(identity.pid);
  return stat.has_value() && IsLiveState(stat->state) &&
         stat->start_ticks == identity.start_ticks;
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

}  // namespace mcpgw::it
