#pragma once
// What the gateway and a warm DBHub worker (runtime/dbhub_preloader.mjs) say
// to each other: one claim line to the worker's stdin, report lines from its
// fd 3. Pure: no I/O here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace mcpgw::runtime {

// Everything a worker needs to become one instance. Holds secrets: it goes
// only down the worker's stdin pipe.
struct WarmClaim {
  std::string dsn;
  std::string token;
  std::uint16_t port = 0;
  std::string config_path;  // a DBHub TOML config; empty for none
};

// The claim as the one line the worker reads, newline included.
std::string ClaimLine(const WarmClaim& claim);

// The worker loaded DBHub's modules and waits for its claim.
struct WarmReport {
  std::string dbhub_version;
  std::string tested_dbhub_version;
  std::vector<std::string> failed;  // modules that did not load
  // Why the warm-up of the request path failed; empty when it worked.
  // Not fatal: the worker's first request is only slower.
  std::string rehearsal_error;
};
// DBHub listens on `port`.
struct ReadyReport {
  std::uint16_t port = 0;
};
// The worker refused its claim.
struct ErrorReport {
  std::string message;
};
using WorkerReport = std::variant<WarmReport, ReadyReport, ErrorReport>;

// nullopt for a line that is not a report (never trusted blindly: the line
// comes from a child process).
std::optional<WorkerReport> ParseWorkerReport(std::string_view line);

// OK when a worker that sent `report` can be handed a DSN: it preloaded
// everything and runs the DBHub version the preloader was tested with.
absl::Status CheckWarmReport(const WarmReport& report);

// Splits complete lines off the front of `buffer`, leaving a partial last
// line in it.
std::vector<std::string> TakeLines(std::string& buffer);

}  // namespace mcpgw::runtime
