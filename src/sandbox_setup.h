#pragma once
// Turns the sandbox flags into the process runtime's InstanceSandbox: the
// instance user (as root), whether the kernel has Landlock (said once at
// start-up), what every instance may read, execute and write, and a check
// that the instance user can reach the runtime at all.

#include "absl/status/statusor.h"
#include "runtime/instance_sandbox.h"
#include "src/config.h"

namespace mcpgw {

absl::StatusOr<runtime::InstanceSandbox> SetUpInstanceSandbox(const Config& config);

}  // namespace mcpgw
