#pragma once
// What the operator console's live feed (GET /admin/feed) is made of:
//  - the pool's lifecycle events (started, ready, failed, reaped, evicted,
//    stopped...), kept in a small ring so that a console that connects sees
//    the last ones, and announced at once to the feeds waiting on them;
//  - the changes of the instance list between two looks (InstanceChanges),
//    so that a console receives what changed rather than the whole state.
// Memory is bounded: the ring holds kMaxEvents, at most kMaxClients feeds
// are open at once, and a feed queues nothing: each client's writer computes
// what to send when it is ready to send it (gateway/admin/console_stream.h).
//
// Thread-safe; no I/O. Nothing secret: events carry redacted targets.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/mutex.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

// The name the console shows for a pool event: "started", "ready",
// "failed", "reaped" (idle), "evicted", "drained", "stopped" (deleted or
// shutdown), "exited", "capacity_refused".
std::string ConsoleEventName(const runtime::PoolEvent& event);

// One pool event as the console shows it (with `seq` and `at`).
nlohmann::json ConsoleEventJson(const runtime::PoolEvent& event,
                                std::uint64_t seq, std::string_view at);

class ConsoleFeed final : public runtime::PoolObserver {
 public:
  static constexpr std::size_t kMaxEvents = 200;
  static constexpr int kMaxClients = 8;

  // Events are stamped with `clock`'s wall time.
  explicit ConsoleFeed(const common::Clock& clock) : clock_(clock) {}

  void OnPoolEvent(const runtime::PoolEvent& event) override;

  struct Events {
    std::vector<nlohmann::json> events;  // with seq > the cursor, in order
    std::uint64_t next = 0;              // the cursor after them
    bool gap = false;  // some after the cursor fell out of the ring
  };
  Events EventsAfter(std::uint64_t cursor) const;

  // Calls `wake` once, at the next event (at once if there is one after
  // `cursor`), from the thread that caused it, outside the lock. A client
  // has one wake-up at most: a new one replaces the one not yet called.
  void OnNextEvent(int client, std::uint64_t cursor, std::function<void()> wake);

  // A feed opens (its client id; nullopt: kMaxClients are open already) and
  // closes.
  std::optional<int> TryOpenClient();
  void CloseClient(int client);
  int clients() const;

 private:
  const common::Clock& clock_;
  mutable Mutex mutex_;
  std::deque<nlohmann::json> ring_ ABSL_GUARDED_BY(mutex_);
  std::uint64_t last_seq_ ABSL_GUARDED_BY(mutex_) = 0;
  // By client.
  std::map<int, std::function<void()>> waiters_ ABSL_GUARDED_BY(mutex_);
  int clients_ ABSL_GUARDED_BY(mutex_) = 0;
  int next_client_ ABSL_GUARDED_BY(mutex_) = 0;
};

// The changes from `previous` (id -> the instance's JSON text, updated in
// place) to `current` (the admin API's instance list): one "instance"
// frame per new or changed instance, one "instance_removed" ({"id"}) per
// instance gone.
struct ConsoleFrame {
  std::string event;
  nlohmann::json data;
};
std::vector<ConsoleFrame> InstanceChanges(
    std::map<std::string, std::string>& previous,
    const nlohmann::json& current);

// "event: <name>\ndata: <json>\n\n".
std::string SseFrame(const ConsoleFrame& frame);

}  // namespace mcpgw::gateway
