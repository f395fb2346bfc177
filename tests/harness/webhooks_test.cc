// Webhook delivery (webhooks.cc) against an in-process receiver: retries
// after a failure, the signature on every attempt, and giving up.

#include <gtest/gtest.h>

#include "common/manual_clock.h"
#include "gateway/observability/webhooks.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

constexpr const char* kSecret = "webhook-secret";

gateway::WebhookOptions Options(const FakeInstance& receiver, int attempts) {
  gateway::WebhookOptions options;
  options.urls = {"http://127.0.0.1:" + std::to_string(receiver.port()) +
                  "/hook"};
  options.secret = kSecret;
  options.max_attempts = attempts;
  options.first_backoff = std::chrono::milliseconds(10);
  options.timeout = std::chrono::milliseconds(5'000);
  return options;
}

// Webhook bodies carry no "method": the receiver's script key is "".
constexpr const char* kHook = "";

TEST(Webhooks, FailedDeliveryIsRetriedWithTheSameSignedBody) {
  FakeInstance receiver;
  receiver.Script(kHook, Reply::Status(500));
  receiver.Script(kHook, Reply::Status(204));
  const common::SystemClock clock;
  gateway::WebhookNotifier notifier(Options(receiver, 4), clock, nullptr);
  notifier.Start();
  notifier.Enqueue({{"event", "instance.ready"}, {"instance_id", "fake-1"}});

  ASSERT_TRUE(receiver.WaitForRequests(kHook, 2));
  notifier.Stop(std::chrono::milliseconds(1'000));
  const auto deliveries = receiver.requests(kHook);
  // Delivered on the second attempt, and not sent again after.
  ASSERT_EQ(deliveries.size(), 2u);
  for (const auto& delivery : deliveries) {
    EXPECT_EQ(delivery.method, "POST");
    EXPECT_EQ(delivery.target, "/hook");
    EXPECT_EQ(delivery.body, deliveries[0].body);
    EXPECT_EQ(delivery.Header("x-mcp-gateway-signature"),
              gateway::WebhookSignature(kSecret, delivery.body));
    EXPECT_EQ(delivery.Header("x-mcp-gateway-event"), "instance.ready");
  }
  const auto body = nlohmann::json::parse(deliveries[0].body);
  EXPECT_EQ(body["event"], "instance.ready");
  EXPECT_EQ(body["instance_id"], "fake-1");
}

TEST(Webhooks, GivesUpAfterMaxAttempts) {
  FakeInstance receiver;
  for (int i = 0; i < 4; ++i) receiver.Script(kHook, Reply::Status(503));
  const common::SystemClock clock;
  gateway::WebhookNotifier notifier(Options(receiver, 2), clock, nullptr);
  notifier.Start();
  notifier.Enqueue({{"event", "instance.failed"}, {"instance_id", "fake-1"}});
  notifier.Enqueue({{"event", "instance.exited"}, {"instance_id", "fake-1"}});

  // Two attempts for the first event, then the second event's turn.
  ASSERT_TRUE(receiver.WaitForRequests(kHook, 3));
  notifier.Stop(std::chrono::milliseconds(1'000));
  const auto deliveries = receiver.requests(kHook);
  ASSERT_GE(deliveries.size(), 3u);
  EXPECT_EQ(deliveries[0].Header("x-mcp-gateway-event"), "instance.failed");
  EXPECT_EQ(deliveries[1].Header("x-mcp-gateway-event"), "instance.failed");
  EXPECT_EQ(deliveries[2].Header("x-mcp-gateway-event"), "instance.exited");
  EXPECT_LE(deliveries.size(), 4u);
}

// Refusals make at most one capacity.pressure event per interval of the
// injected clock: the clock is moved, not waited for.
TEST(Webhooks, RefusalsMakeOnePressureEventPerInterval) {
  FakeInstance receiver;
  for (int i = 0; i < 3; ++i) receiver.Script(kHook, Reply::Status(204));
  common::ManualClock clock;
  auto options = Options(receiver, 1);
  options.refusal_event_interval = std::chrono::seconds(1);
  gateway::WebhookNotifier notifier(options, clock, nullptr);
  notifier.Start();
  runtime::PoolEvent refused;
  refused.type = runtime::PoolEvent::Type::kCapacityRefused;
  refused.max_instances = 4;
  notifier.OnPoolEvent(refused);
  clock.Advance(std::chrono::milliseconds(999));
  notifier.OnPoolEvent(refused);  // within the interval: no event
  clock.Advance(std::chrono::milliseconds(1));
  notifier.OnPoolEvent(refused);

  ASSERT_TRUE(receiver.WaitForRequests(kHook, 2));
  // Stop sends whatever is still queued: a third event would show.
  notifier.Stop(std::chrono::milliseconds(1'000));
  const auto deliveries = receiver.requests(kHook);
  ASSERT_EQ(deliveries.size(), 2u);
  for (const auto& delivery : deliveries) {
    const auto body = nlohmann::json::parse(delivery.body);
    EXPECT_EQ(body["event"], "capacity.pressure");
    EXPECT_EQ(body["cause"], "refused");
  }
}

}  // namespace
}  // namespace mcpgw::harness
