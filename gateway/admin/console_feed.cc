#include "gateway/admin/console_feed.h"

#include <chrono>
#include <set>

#include "absl/time/time.h"

namespace mcpgw::gateway {

std::string ConsoleEventName(const runtime::PoolEvent& event) {
  using Type = runtime::PoolEvent::Type;
  switch (event.type) {
    case Type::kStarting:
      return "started";
    case Type::kReady:
      return "ready";
    case Type::kFailed:
      return "failed";
    case Type::kExited:
      return "exited";
    case Type::kCapacityRefused:
      return "capacity_refused";
    case Type::kDraining:
      return "draining";
    case Type::kStopping:
      switch (event.stop_reason) {
        case runtime::StopReason::kIdle:
          return "reaped";
        case runtime::StopReason::kEvicted:
          return "evicted";
        case runtime::StopReason::kDrained:
          return "drained";
        case runtime::StopReason::kDeleted:
        case runtime::StopReason::kShutdown:
          return "stopped";
      }
  }
  return "other";
}

nlohmann::json ConsoleEventJson(const runtime::PoolEvent& event,
                                std::uint64_t seq, std::string_view at) {
  using Type = runtime::PoolEvent::Type;
  nlohmann::json json = {
      {"seq", seq},
      {"at", at},
      {"type", ConsoleEventName(event)},
      {"instance_id", event.instance_id},
      {"target", event.redacted_target},
      {"runtime", event.runtime},
      {"live_instances", event.live_instances},
      {"max_instances", event.max_instances},
  };
  if (!event.reason.empty()) json["reason"] = event.reason;
  if (event.type == Type::kStopping) {
    json["stop_reason"] = runtime::ToString(event.stop_reason);
  }
  if (event.type == Type::kReady) {
    json["spawn_kind"] = runtime::ToString(event.spawn_kind);
    json["spawn_ms"] = event.spawn_latency.count();
  }
  return json;
}

void ConsoleFeed::OnPoolEvent(const runtime::PoolEvent& event) {
  const std::string at =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                       absl::FromChrono(clock_.WallNow()), absl::UTCTimeZone());
  std::map<int, std::function<void()>> waiters;
  {
    MutexLock lock(mutex_);
    ring_.push_back(ConsoleEventJson(event, ++last_seq_, at));
    if (ring_.size() > kMaxEvents) ring_.pop_front();
    waiters.swap(waiters_);
  }
  for (auto& [client, wake] : waiters) wake();
}

ConsoleFeed::Events ConsoleFeed::EventsAfter(std::uint64_t cursor) const {
  MutexLock lock(mutex_);
  Events out;
  out.next = last_seq_;
  if (ring_.empty()) return out;
  const std::uint64_t first = ring_.front()["seq"].get<std::uint64_t>();
  out.gap = cursor + 1 < first;
  for (const auto& event : ring_) {
    if (event["seq"].get<std::uint64_t>() > cursor) out.events.push_back(event);
  }
  return out;
}

void ConsoleFeed::OnNextEvent(int client, std::uint64_t cursor,
                              std::function<void()> wake) {
  {
    MutexLock lock(mutex_);
    if (last_seq_ <= cursor) {
      waiters_[client] = std::move(wake);
      return;
    }
  }
  wake();
}

std::optional<int> ConsoleFeed::TryOpenClient() {
  MutexLock lock(mutex_);
  if (clients_ >= kMaxClients) return std::nullopt;
  ++clients_;
  return ++next_client_;
}

void ConsoleFeed::CloseClient(int client) {
  MutexLock lock(mutex_);
  --clients_;
  waiters_.erase(client);
}

int ConsoleFeed::clients() const {
  MutexLock lock(mutex_);
  return clients_;
}

std::vector<ConsoleFrame> InstanceChanges(
    std::map<std::string, std::string>& previous,
    const nlohmann::json& current) {
  std::vector<ConsoleFrame> frames;
  std::set<std::string> seen;
  for (const auto& instance : current) {
    const std::string id = instance.value("id", "");
    seen.insert(id);
    std::string text = instance.dump();
    auto it = previous.find(id);
    if (it != previous.end() && it->second == text) continue;
    frames.push_back({"instance", instance});
    previous[id] = std::move(text);
  }
  for (auto it = previous.begin(); it != previous.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    frames.push_back({"instance_removed", {{"id", it->first}}});
    it = previous.erase(it);
  }
  return frames;
}

std::string SseFrame(const ConsoleFrame& frame) {
  // dump() escapes newlines inside strings, so the data is one line.
  return "event: " + frame.event + "\ndata: " + frame.data.dump() + "\n\n";
}

}  // namespace mcpgw::gateway
