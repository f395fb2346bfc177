#include "runtime/container_adoption.h"

#include <spdlog/spdlog.h>

#include "runtime/health_probe.h"

namespace mcpgw::runtime {
namespace {

constexpr std::chrono::milliseconds kHealthTimeout{1'000};

}  // namespace

absl::StatusOr<AdoptionResult> AdoptOrRemoveLeftovers(
    DockerRuntime& runtime, InstancePool& pool,
    const ResolveLeftoverDsn& resolve) {
  auto leftovers = runtime.FindLeftovers();
  if (!leftovers.ok()) return leftovers.status();
  AdoptionResult result;
  for (auto& leftover : *leftovers) {
    const std::string short_id = leftover.container_id.substr(0, 12);
    std::string why_not;
    std::optional<AdoptionTarget> target;
    if (!leftover.not_adoptable.empty()) {
      why_not = leftover.not_adoptable;
    } else if (!leftover.running) {
      why_not = "not running";
    } else if (target = resolve(leftover.dsn); !target) {
      why_not = "its DSN is not accepted any more";
    } else if (!ProbeHealthz(leftover.endpoint.host, leftover.endpoint.port,
                             kHealthTimeout)) {
      why_not = "it does not answer /healthz";
    } else {
      AcquireRequest request{target->key, "", target->redacted_target,
                             target->secrets};
      auto adopted = pool.Adopt(
          std::move(request),
          [&](const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events)
              -> absl::StatusOr<std::unique_ptr<RunningInstance>> {
            return runtime.Attach(leftover, spec, std::move(events));
          });
      if (adopted.ok()) {
        spdlog::info("instance {}: adopted container {} left by an earlier "
                     "run, for {}",
                     *adopted, short_id, target->redacted_target);
        ++result.adopted;
        continue;
      }
      why_not = std::string(adopted.status().message());
    }
    std::fill(leftover.dsn.begin(), leftover.dsn.end(), '\0');
    spdlog::info("removing container {} left by an earlier run: {}", short_id,
                 why_not);
    if (auto removed = runtime.Remove(leftover.container_id); !removed.ok()) {
      spdlog::warn("{}", std::string(removed.message()));
    } else {
      ++result.removed;
    }
  }
  return result;
}

}  // namespace mcpgw::runtime
