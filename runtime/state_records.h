#pragma once
// What this gateway has started, recorded in the state directory so that a
// gateway killed with SIGKILL can be followed by one that cleans up after it.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/clock.h"
#include "common/mutex.h"

namespace mcpgw::runtime {

class StateRecords {
 public:
  // `dir` is created (0700) if missing. StopLeftovers' grace is measured
  // on `clock`.
  StateRecords(std::filesystem::path dir, const common::Clock& clock);

  void Add(const std::string& instance_id, pid_t pid, std::uint64_t start_ticks);
  void Remove(const std::string& instance_id);

  // Stops every recorded process that is still the same process (pid and
  // start time match), removes all records, and returns how many were
  // stopped. Blocks for at most `grace` plus a little per process.
  int StopLeftovers(std::chrono::milliseconds grace);

 private:
  std::filesystem::path PathFor(const std::string& instance_id) const;

  const std::filesystem::path dir_;
  const common::Clock& clock_;
  // Guards no field: serialises this gateway's writes and removals of the
  // record files in dir_ (and StopLeftovers' pass over them).
  Mutex mutex_;
};

}  // namespace mcpgw::runtime
