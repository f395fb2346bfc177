#pragma once
#include <nlohmann/json.hpp>

#include "mcp_load/load_runner.h"
#include "mcp_load/options.h"

namespace mcpgw::loadtest {

// The JSON printed at the end of a run. Header values are left out (they carry
// tokens and DSNs); only their names are listed. Times in ms, rates per second.
nlohmann::ordered_json MakeReport(const Options& options, const RunResult& result);

}  // namespace mcpgw::loadtest
