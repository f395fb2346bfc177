#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "mcp_load/latency_recorder.h"
#include "mcp_load/mcp_response.h"
#include "mcp_load/options.h"

namespace mcpgw::loadtest {

// Counters for one phase (warm-up or measurement) of one worker, mergeable.
struct PhaseStats {
  std::uint64_t requests = 0;  // completed, whatever the outcome
  std::uint64_t ok = 0;
  std::array<std::uint64_t, kOutcomeCount> by_outcome{};
  std::map<unsigned, std::uint64_t> http_status;
  LatencyRecorder ok_latency;  // OK requests only
  std::string sample_error;    // the first error seen, for diagnosis

  void Merge(const PhaseStats& other);
};

struct RunResult {
  PhaseStats warmup;
  PhaseStats measured;
  // First measured (intended) send to last measured answer; zero if none.
  std::chrono::nanoseconds measured_time{0};
  std::uint64_t connections_opened = 0;
  bool stopped_by_request_count = false;
  // The hard deadline (end of window + timeout + grace) had to stop the run.
  bool aborted = false;
};

// Extra time allowed after the last request's timeout before the run is cut.
inline constexpr auto kHardDeadlineGrace = std::chrono::seconds(5);
// Pause after a failed request on a connection, so that a refused port is not
// hammered in a tight loop.
inline constexpr auto kErrorBackoff = std::chrono::milliseconds(10);

// Runs the load described by `options` (resolves the host first) and returns
// when every worker has stopped. Always bounded by warm-up + duration + timeout
// + kHardDeadlineGrace.
absl::StatusOr<RunResult> RunLoad(const Options& options);

}  // namespace mcpgw::loadtest
