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
  std::uint64_t retried = 0;   // resends after a --retry-status answer
  LatencyRecorder ok_latency;  // OK requests only
  std::string sample_error;    // the first error seen, for diagnosis

  void Merge(const PhaseStats& other);
};

// Sessions (--session) over the whole run.
struct SessionStats {
  std::uint64_t opened = 0;   // initialize + notifications/initialized answered OK
  std::uint64_t with_id = 0;  // of those, the server issued an Mcp-Session-Id
  std::uint64_t failed = 0;   // initialize or notifications/initialized failed
  std::uint64_t expired = 0;  // a request with the session id was answered 404
  std::string sample_error;
};

struct RunResult {
  SessionStats sessions;
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
