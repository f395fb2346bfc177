// The operator console's pure parts: its routes, the latency figures, the
// event ring and the instance changes of its feed, and its static files.

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/manual_clock.h"

#include "gateway/admin/admin_route.h"
#include "gateway/admin/console_assets.h"
#include "gateway/admin/console_feed.h"
#include "gateway/admin/console_figures.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";

TEST(ConsoleRouteTest, ThePageNeedsNoTokenButTheFeedDoes) {
  for (const char* target : {"/console", "/console/", "/console/assets/a.js"}) {
    auto route = DecideAdminRoute(http::verb::get, target, std::nullopt, kToken);
    const auto* call = std::get_if<AdminCall>(&route);
    ASSERT_NE(call, nullptr) << target;
    EXPECT_EQ(call->endpoint, AdminEndpoint::kConsoleAsset);
  }
  auto asset = DecideAdminRoute(http::verb::get, "/console/assets/a.js?x=1",
                                std::nullopt, kToken);
  EXPECT_EQ(std::get<AdminCall>(asset).path, "assets/a.js");
  auto post = DecideAdminRoute(http::verb::post, "/console", std::nullopt, kToken);
  EXPECT_EQ(std::get<AdminError>(post).status, http::status::method_not_allowed);
  // /consoles is not the console: it needs the token like everything else.
  auto other = DecideAdminRoute(http::verb::get, "/consoles", std::nullopt, kToken);
  EXPECT_EQ(std::get<AdminError>(other).status, http::status::unauthorized);

  auto feed = DecideAdminRoute(http::verb::get, "/admin/feed", std::nullopt, kToken);
  EXPECT_EQ(std::get<AdminError>(feed).status, http::status::unauthorized);
  const std::string bearer = "Bearer " + std::string(kToken);
  auto allowed = DecideAdminRoute(http::verb::get, "/admin/feed", bearer, kToken);
  EXPECT_EQ(std::get<AdminCall>(allowed).endpoint, AdminEndpoint::kConsoleFeed);
}

LatencyTotals Totals(std::vector<std::uint64_t> cumulative, std::uint64_t count) {
  return {{0.001, 0.01, 0.1, 1}, std::move(cumulative), count};
}

TEST(ConsoleFiguresTest, PercentilesInterpolateInsideTheirBucket) {
  // 100 requests: 50 under 1 ms, 40 in (1, 10] ms, 10 in (10, 100] ms.
  const auto totals = Totals({50, 90, 100, 100}, 100);
  EXPECT_DOUBLE_EQ(*QuantileMs(totals, 0.5), 1.0);
  EXPECT_NEAR(*QuantileMs(totals, 0.7), 1 + 9 * 0.5, 1e-9);
  EXPECT_NEAR(*QuantileMs(totals, 0.95), 10 + 90 * 0.5, 1e-9);
  EXPECT_FALSE(QuantileMs(Totals({0, 0, 0, 0}, 0), 0.5).has_value());
  // Past the last finite bound: that bound.
  EXPECT_DOUBLE_EQ(*QuantileMs(Totals({0, 0, 0, 0}, 3), 0.99), 1000.0);
}

TEST(ConsoleFiguresTest, AWindowIsTheDifferenceOfTwoReadings) {
  const auto earlier = Totals({10, 10, 10, 10}, 10);
  const auto later = Totals({10, 30, 30, 30}, 30);
  const auto window = Subtract(later, earlier);
  EXPECT_EQ(window.count, 20u);
  EXPECT_EQ(window.cumulative, (std::vector<std::uint64_t>{0, 20, 20, 20}));
  const auto figures = LatencyFigures(window, std::chrono::milliseconds(4000));
  EXPECT_DOUBLE_EQ(figures["requests_per_s"].get<double>(), 5.0);
  EXPECT_GT(figures["p50_ms"].get<double>(), 1.0);
  EXPECT_LE(figures["p99_ms"].get<double>(), 10.0);
  // No request in the window: no percentile, rate 0.
  const auto idle = LatencyFigures(Subtract(later, later), std::chrono::seconds(5));
  EXPECT_TRUE(idle["p50_ms"].is_null());
  EXPECT_DOUBLE_EQ(idle["requests_per_s"].get<double>(), 0.0);
}

runtime::PoolEvent Event(runtime::PoolEvent::Type type, std::string id) {
  runtime::PoolEvent event;
  event.type = type;
  event.instance_id = std::move(id);
  event.redacted_target = "postgres://app:***@db/shop";
  event.runtime = "process";
  return event;
}

TEST(ConsoleFeedTest, EventsGetNamesAnOperatorKnows) {
  using Type = runtime::PoolEvent::Type;
  auto stopping = Event(Type::kStopping, "a");
  stopping.stop_reason = runtime::StopReason::kIdle;
  EXPECT_EQ(ConsoleEventName(stopping), "reaped");
  stopping.stop_reason = runtime::StopReason::kEvicted;
  EXPECT_EQ(ConsoleEventName(stopping), "evicted");
  stopping.stop_reason = runtime::StopReason::kDeleted;
  EXPECT_EQ(ConsoleEventName(stopping), "stopped");
  EXPECT_EQ(ConsoleEventName(Event(Type::kStarting, "a")), "started");
  auto failed = Event(Type::kFailed, "a");
  failed.reason = "connection refused";
  const auto json = ConsoleEventJson(failed, 7, "now");
  EXPECT_EQ(json["type"], "failed");
  EXPECT_EQ(json["reason"], "connection refused");
  EXPECT_EQ(json["seq"], 7);
}

TEST(ConsoleFeedTest, TheRingKeepsTheLastEventsAndTellsOfAGap) {
  const common::ManualClock clock;
  ConsoleFeed feed(clock);
  for (std::size_t i = 0; i < ConsoleFeed::kMaxEvents + 5; ++i) {
    feed.OnPoolEvent(Event(runtime::PoolEvent::Type::kStarting, std::to_string(i)));
  }
  auto all = feed.EventsAfter(0);
  EXPECT_EQ(all.events.size(), ConsoleFeed::kMaxEvents);
  EXPECT_TRUE(all.gap);
  EXPECT_EQ(all.next, ConsoleFeed::kMaxEvents + 5);
  auto last = feed.EventsAfter(all.next - 2);
  EXPECT_EQ(last.events.size(), 2u);
  EXPECT_FALSE(last.gap);
  EXPECT_TRUE(feed.EventsAfter(all.next).events.empty());
}

TEST(ConsoleFeedTest, AWaitingFeedIsWokenOnceByTheNextEvent) {
  const common::ManualClock clock;
  ConsoleFeed feed(clock);
  auto client = feed.TryOpenClient();
  ASSERT_TRUE(client.has_value());
  int woken = 0;
  feed.OnNextEvent(*client, 0, [&woken] { ++woken; });
  // A newer wake-up replaces the one not yet called: one per client.
  feed.OnNextEvent(*client, 0, [&woken] { woken += 10; });
  EXPECT_EQ(woken, 0);
  feed.OnPoolEvent(Event(runtime::PoolEvent::Type::kReady, "a"));
  EXPECT_EQ(woken, 10);
  feed.OnPoolEvent(Event(runtime::PoolEvent::Type::kReady, "b"));
  EXPECT_EQ(woken, 10);
  // An event already there wakes at once.
  feed.OnNextEvent(*client, 0, [&woken] { ++woken; });
  EXPECT_EQ(woken, 11);
  feed.CloseClient(*client);
}

TEST(ConsoleFeedTest, ClientsAreBounded) {
  const common::ManualClock clock;
  ConsoleFeed feed(clock);
  std::vector<int> open;
  for (int i = 0; i < ConsoleFeed::kMaxClients; ++i) {
    auto client = feed.TryOpenClient();
    ASSERT_TRUE(client.has_value());
    open.push_back(*client);
  }
  EXPECT_FALSE(feed.TryOpenClient().has_value());
  feed.CloseClient(open.back());
  EXPECT_TRUE(feed.TryOpenClient().has_value());
}

TEST(ConsoleFeedTest, OnlyChangedAndRemovedInstancesAreSent) {
  std::map<std::string, std::string> sent;
  nlohmann::json list = {{{"id", "a"}, {"requests", 1}},
                         {{"id", "b"}, {"requests", 1}}};
  EXPECT_EQ(InstanceChanges(sent, list).size(), 2u);
  EXPECT_TRUE(InstanceChanges(sent, list).empty());
  list[1]["requests"] = 2;
  auto changed = InstanceChanges(sent, list);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].event, "instance");
  EXPECT_EQ(changed[0].data["id"], "b");
  auto removed = InstanceChanges(sent, nlohmann::json::array({list[1]}));
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].event, "instance_removed");
  EXPECT_EQ(removed[0].data["id"], "a");
  EXPECT_EQ(SseFrame(removed[0]),
            "event: instance_removed\ndata: {\"id\":\"a\"}\n\n");
}

TEST(ConsoleAssetsTest, ServesOnlyTheFilesItLoadedWithAStrictPolicy) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("console-assets-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><title>x</title>";
  std::ofstream(dir / "assets" / "app-1.js") << "console.log(1)";
  auto assets = ConsoleAssets::Load(dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(assets.ok()) << assets.status();
  EXPECT_EQ(assets->size(), 2u);

  auto page = assets->Serve("", 11, true);
  EXPECT_EQ(page.result(), http::status::ok);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(page["Content-Security-Policy"], kConsoleCsp);
  EXPECT_EQ(page[http::field::cache_control], "no-store");
  auto script = assets->Serve("assets/app-1.js", 11, true);
  EXPECT_EQ(script.body(), "console.log(1)");
  EXPECT_EQ(script[http::field::content_type], "text/javascript; charset=utf-8");
  for (const char* name : {"../index.html", "assets/../index.html", "nothing.js",
                           "/etc/passwd", "assets"}) {
    EXPECT_EQ(assets->Serve(name, 11, true).result(), http::status::not_found)
        << name;
  }
  EXPECT_FALSE(ConsoleAssets::Load(dir).ok());  // gone: no index.html
}

}  // namespace
}  // namespace mcpgw::gateway
