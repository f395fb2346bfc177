#pragma once
// What a restarted gateway does with the containers an earlier run left:
// adopts each healthy one whose DSN it still serves (the instance key is
// recomputed from the DSN in the container's environment), removes the rest.
// Containers started with a DBHub config (tenants, --readonly, --max-rows)
// are always removed: their key and config cannot be recomputed from what
// the container shows, and their config directory is gone.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/docker_runtime.h"
#include "runtime/instance_pool.h"

namespace mcpgw::runtime {

// The key and redacted form of a DSN, or nullopt when the gateway would
// refuse it now.
struct AdoptionTarget {
  std::string key;
  std::string redacted_target;
  std::vector<std::string> secrets;
};
using ResolveLeftoverDsn =
    std::function<std::optional<AdoptionTarget>(const std::string& dsn)>;

struct AdoptionResult {
  int adopted = 0;
  int removed = 0;
};

// Errors only when the engine cannot list containers.
absl::StatusOr<AdoptionResult> AdoptOrRemoveLeftovers(
    DockerRuntime& runtime, InstancePool& pool,
    const ResolveLeftoverDsn& resolve);

}  // namespace mcpgw::runtime
