#pragma once
// What /proc says about processes that are not the test's own children
// (DBHub instances started by the gateway, leftovers of a killed gateway).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mcpgw::it {

// A pid plus its start time, so that a reused pid is never mistaken for the
// process that was observed.
struct ProcessIdentity {
  pid_t pid = -1;
  std::uint64_t start_ticks = 0;
};

// Reads /proc/<pid>/stat; nullopt if there is no such process or it is a
// zombie.
std::optional<ProcessIdentity> IdentifyProcess(pid_t pid);

// True while the process exists and is not a zombie. A zombie has ended; it
// only waits for its parent (possibly pid 1) to reap it.
bool IsRunning(pid_t pid);

// True while this very process (same start time) is running.
bool IsRunning(const ProcessIdentity& identity);

// VmRSS of a process in kB (0 if unknown).
long ProcessRssKb(pid_t pid);

// CPU time the process (all its threads) has used, in clock ticks (user +
// system, /proc/<pid>/stat); nullopt if it is gone. A test sees a process
// at work by this growing.
std::optional<std::uint64_t> ProcessCpuTicks(pid_t pid);

// The environment of a process: its NUL-separated /proc/<pid>/environ
// entries ("NAME=value"); empty if unreadable.
std::vector<std::string> ProcessEnvironment(pid_t pid);

// Every readable /proc/<pid>/cmdline, NUL separators turned into spaces.
std::vector<std::pair<pid_t, std::string>> AllCommandLines();

}  // namespace mcpgw::it
