#include "src/shutdown.h"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "gateway/observability/structured_log.h"

namespace mcpgw {
namespace {

constexpr std::chrono::milliseconds kInstanceStopWait{8'000};
constexpr std::chrono::milliseconds kWebhookFlush{2'000};
constexpr std::chrono::seconds kDrainReportEvery{1};

// Streams that only end when their client goes: ended now, telling their
// clients when to reconnect (to another replica, or to this gateway once
// it is back). Returns how many.
std::size_t EndOpenEndedStreams(const ShutdownTargets& targets) {
  std::size_t ended = 0;
  if (targets.oauth_server != nullptr) {
    targets.oauth_server->StopAccepting();
    ended += targets.oauth_handler->FinishStreams();
  }
  targets.mcp_server.StopAccepting();
  ended += targets.mcp_handler.FinishStreams();
  return ended;
}

}  // namespace

void ShutDown(const Config& config, const ShutdownTargets& targets) {
  // The admin listener stays up while requests drain, so that /readyz can
  // say 503 and operators can watch; it closes once the instances go.
  const auto ended = EndOpenEndedStreams(targets);
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "streams_ended"}, {"streams", ended}});
  auto& mcp_server = targets.mcp_server;
  const auto start = targets.clock.Now();
  const auto deadline = start + config.shutdown_grace;
  auto next_report = start;
  while (mcp_server.active_requests() > 0 &&
         targets.clock.Now() < deadline) {
    if (targets.clock.Now() >= next_report) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - targets.clock.Now());
      logs::Event(spdlog::level::info, "shutdown",
                  {{"phase", "draining"},
                   {"requests_in_flight", mcp_server.active_requests()},
                   {"instances", targets.pool.size()},
                   {"grace_left_ms", left.count()}});
      next_report += kDrainReportEvery;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (mcp_server.active_requests() > 0) {
    spdlog::warn("{} requests still in flight after the grace period",
                 mcp_server.active_requests());
  }
  targets.admin_server.StopAccepting();
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "stopping_instances"}, {"instances", targets.pool.size()}});
  if (!targets.pool.StopAll(kInstanceStopWait)) {
    spdlog::warn("some instances did not stop in time");
  }
  targets.webhooks.Stop(kWebhookFlush);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      targets.clock.Now() - start);
  logs::Event(spdlog::level::info, "shutdown",
              {{"phase", "done"}, {"took_ms", took.count()}});
  targets.io.Stop();
}

}  // namespace mcpgw
