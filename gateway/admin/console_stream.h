#pragma once
// One console's live feed (GET /admin/feed): an SSE stream that starts with
// what is there (the last pool events, every instance, the warm pool, the
// sessions) and then sends what changes: pool events as they happen, and
// once a second the instances that changed or went, the warm pool and the
// sessions when they changed, and the latency figures. It queues nothing:
// each batch is computed when the previous one has been written, so a slow
// console costs one batch of memory, and one that stops reading is dropped
// after the write timeout.

#include <chrono>
#include <functional>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "gateway/admin/console_feed.h"
#include "gateway/http/http_types.h"
#include "gateway/observability/metrics.h"

namespace mcpgw::gateway {

struct ConsoleSources {
  ConsoleFeed* feed = nullptr;
  // The admin API's list. Awaited: it reads /proc, so it is made off the
  // I/O threads (gateway/http/blocking_work.h).
  std::function<asio::awaitable<nlohmann::json>()> instances;
  std::function<nlohmann::json()> warm_pool;
  std::function<nlohmann::json()> sessions;
  std::function<LatencyTotals()> latency;
};

struct ConsoleStreamLimits {
  std::chrono::milliseconds tick{1000};
  // Figures are over this many last ticks.
  std::size_t figure_window_ticks = 5;
  std::chrono::seconds keepalive{15};
  std::chrono::seconds write_timeout{30};
};

// Writes the feed to `client` (the head included) until the client goes.
// `client_id`: from ConsoleFeed::TryOpenClient; closed on return. Ticks,
// keep-alives and the figures' times are read from `clock`; the waits
// between them are Asio timers for the time left.
asio::awaitable<bool> WriteConsoleFeed(beast::tcp_stream& client,
                                       unsigned version, int client_id,
                                       ConsoleSources sources,
                                       ConsoleStreamLimits limits,
                                       const common::Clock& clock);

}  // namespace mcpgw::gateway
