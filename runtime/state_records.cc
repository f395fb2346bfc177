#include "runtime/state_records.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/process_spawn.h"

namespace mcpgw::runtime {
namespace {

bool SameProcessAlive(pid_t pid, std::uint64_t start_ticks) {
  auto ticks = ProcessStartTicks(pid);
  return ticks.has_value() && *ticks == start_ticks;
}

}  // namespace

StateRecords::StateRecords(std::filesystem::path dir, const common::Clock& clock)
    : dir_(std::move(dir)), clock_(clock) {
  std::filesystem::create_directories(dir_);
  chmod(dir_.c_str(), 0700);
}

std::filesystem::path StateRecords::PathFor(const std::string& id) const {
  return dir_ / (id + ".json");
}

void StateRecords::Add(const std::string& id, pid_t pid,
                       std::uint64_t start_ticks) {
  nlohmann::json record = {{"instance_id", id},
                           {"pid", pid},
                           {"start_ticks", start_ticks},
                           {"gateway_pid", getpid()}};
  MutexLock lock(mutex_);
  const auto tmp = PathFor(id).string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << record.dump() << '\n';
  }
  std::filesystem::rename(tmp, PathFor(id));
}

void StateRecords::Remove(const std::string& id) {
  MutexLock lock(mutex_);
  std::error_code ignored;
  std::filesystem::remove(PathFor(id), ignored);
}

int StateRecords::StopLeftovers(std::chrono::milliseconds grace) {
  struct Leftover {
    pid_t pid;
    std::uint64_t start_ticks;
  };
  std::vector<Leftover> alive;
  MutexLock lock(mutex_);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") {
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    try {
      std::ifstream in(entry.path());
      const auto record = nlohmann::json::parse(in);
      const pid_t pid = record.at("pid").get<pid_t>();
      const auto ticks = record.at("start_ticks").get<std::uint64_t>();
      if (pid > 1 && SameProcessAlive(pid, ticks)) {
        spdlog::warn("stopping DBHub pid {} left behind by an earlier gateway",
                     pid);
        kill(-pid, SIGTERM);
        alive.push_back({pid, ticks});
      }
    } catch (const std::exception& e) {
      spdlog::warn("ignoring unreadable instance record {}: {}",
                   entry.path().string(), e.what());
    }
    std::filesystem::remove(entry.path(), ec);
  }
  const auto deadline = clock_.Now() + grace;
  for (const auto& leftover : alive) {
    while (SameProcessAlive(leftover.pid, leftover.start_ticks) &&
           clock_.Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (SameProcessAlive(leftover.pid, leftover.start_ticks)) {
      kill(-leftover.pid, SIGKILL);
    }
  }
  return static_cast<int>(alive.size());
}

}  // namespace mcpgw::runtime
