#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "mcp_load/latency_recorder.h"
#include "mcp_load/mcp_response.h"
#include "mcp_load/options.h"

namespace mcpgw::loadtest {

// Streams mode (--streams): --concurrency connections each send one request
// (typically the responder's `hold` tool) and keep reading its SSE answer.
// The run has two phases:
//   open: every stream is sent at once; it counts as open at its first SSE
//         event (time to first event, from the send). The phase ends when all
//         are open, or failed, or --timeout has passed since the start;
//   hold: --ready-file is created (if all opened) and every stream is held
//         --duration more; then all are closed.
// A stream whose answer ends (or breaks) during the hold is `closed_early` (a
// complete answer also counts as `completed`).
struct StreamResult {
  std::uint64_t streams = 0;
  std::uint64_t opened = 0;
  std::uint64_t completed = 0;
  std::uint64_t closed_early = 0;
  std::array<std::uint64_t, kOutcomeCount> failed_by_outcome{};  // never opened
  std::string sample_error;
  LatencyRecorder time_to_first_event;
  std::chrono::nanoseconds all_open_after{0};  // zero if not all opened
  std::chrono::nanoseconds held{0};
  std::uint64_t events = 0;  // SSE events received over all streams
};

absl::StatusOr<StreamResult> RunStreams(const Options& options);

nlohmann::ordered_json MakeStreamReport(const Options& options, const StreamResult& result);

}  // namespace mcpgw::loadtest
