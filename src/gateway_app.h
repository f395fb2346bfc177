#pragma once
// Wires configuration, runtime, pool and listeners together and runs them
// until SIGTERM/SIGINT.

#include "src/config.h"

namespace mcpgw {

// Returns the process exit code.
int RunGateway(const Config& config);

}  // namespace mcpgw
