#include "gateway/admin/console_stream.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include "absl/time/time.h"
#include "gateway/admin/console_figures.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
using TimePoint = std::chrono::steady_clock::time_point;

// Closes the feed's client slot however the stream ends.
class ClientSlot {
 public:
  ClientSlot(ConsoleFeed& feed, int id) : feed_(feed), id_(id) {}
  ~ClientSlot() { feed_.CloseClient(id_); }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;

 private:
  ConsoleFeed& feed_;
  const int id_;
};

void AppendChunk(std::string& out, std::string_view bytes) {
  char size[20];
  const int n = std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  out.append(size, static_cast<std::size_t>(n));
  out.append(bytes);
  out.append("\r\n");
}

std::string HeadText(unsigned version) {
  http::response_header<> head;
  head.version(version);
  head.result(http::status::ok);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-store");
  head.set(http::field::transfer_encoding, "chunked");
  head.set("X-Content-Type-Options", "nosniff");
  std::ostringstream text;
  text << head;
  return text.str();
}

// Waits for the feed's next event after `cursor` or for `wait`. The
// wake-up comes from whichever thread caused the event: it is posted to
// this connection's loop, where the timer lives.
asio::awaitable<void> WaitForEvent(ConsoleFeed& feed, int client_id,
                                   std::uint64_t cursor,
                                   std::chrono::steady_clock::duration wait) {
  const auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(
      executor, std::max(wait, std::chrono::steady_clock::duration::zero()));
  feed.OnNextEvent(client_id, cursor,
                   [executor, weak = std::weak_ptr(timer)] {
                     asio::post(executor, [weak] {
                       if (auto timer = weak.lock()) timer->cancel();
                     });
                   });
  co_await timer->async_wait(kUseTuple);
}

std::string FormatTime(std::chrono::system_clock::time_point at) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(at),
                          absl::UTCTimeZone());
}

}  // namespace

asio::awaitable<bool> WriteConsoleFeed(beast::tcp_stream& client,
                                       unsigned version, int client_id,
                                       ConsoleSources sources,
                                       ConsoleStreamLimits limits,
                                       const common::Clock& clock) {
  ConsoleFeed& feed = *sources.feed;
  ClientSlot slot(feed, client_id);
  std::string out = HeadText(version);
  std::uint64_t cursor = 0;
  std::map<std::string, std::string> instances_sent;
  std::string warm_pool_sent, sessions_sent;
  std::deque<std::pair<TimePoint, LatencyTotals>> readings;
  auto next_tick = clock.Now();
  auto last_write = clock.Now();
  bool first = true;

  while (true) {
    std::string frames;
    auto add = [&frames](std::string event, nlohmann::json data) {
      frames += SseFrame({std::move(event), std::move(data)});
    };
    if (first) {
      add("hello", {{"max_events", ConsoleFeed::kMaxEvents},
                    {"tick_ms", limits.tick.count()}});
    }
    auto events = feed.EventsAfter(cursor);
    if (events.gap && !first) add("gap", nlohmann::json::object());
    for (auto& event : events.events) add("pool_event", std::move(event));
    cursor = events.next;
    // Instances after every event (a new one shows at once) and every tick.
    const nlohmann::json instances = co_await sources.instances();
    for (auto& frame : InstanceChanges(instances_sent, instances)) {
      frames += SseFrame(frame);
    }
    const auto now = clock.Now();
    if (now >= next_tick) {
      next_tick = now + limits.tick;
      if (sources.warm_pool) {
        auto warm = sources.warm_pool();
        if (auto text = warm.dump(); text != warm_pool_sent) {
          warm_pool_sent = std::move(text);
          add("warm_pool", std::move(warm));
        }
      }
      if (sources.sessions) {
        auto sessions = sources.sessions();
        if (auto text = sessions.dump(); text != sessions_sent) {
          sessions_sent = std::move(text);
          add("sessions", std::move(sessions));
        }
      }
      if (sources.latency) {
        readings.emplace_back(now, sources.latency());
        while (readings.size() > limits.figure_window_ticks + 1) {
          readings.pop_front();
        }
        if (readings.size() > 1) {
          const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(
              readings.back().first - readings.front().first);
          auto figures = LatencyFigures(
              Subtract(readings.back().second, readings.front().second), span);
          int in_flight = 0;
          for (const auto& instance : instances) {
            in_flight += instance.value("in_flight", 0);
          }
          figures["at"] = FormatTime(clock.WallNow());
          figures["in_flight"] = in_flight;
          figures["instances"] = instances.size();
          add("figures", std::move(figures));
        }
      }
    }
    if (frames.empty() && now - last_write >= limits.keepalive) {
      frames = ": keep-alive\n\n";
    }
    if (!frames.empty()) AppendChunk(out, frames);
    if (!out.empty()) {
      client.expires_after(limits.write_timeout);
      auto [ec, n] = co_await asio::async_write(
          client, asio::buffer(out.data(), out.size()), kUseTuple);
      (void)n;
      client.expires_never();
      if (ec) co_return false;
      out.clear();
      last_write = clock.Now();
    }
    first = false;
    co_await WaitForEvent(feed, client_id, cursor, next_tick - clock.Now());
  }
}

}  // namespace mcpgw::gateway
