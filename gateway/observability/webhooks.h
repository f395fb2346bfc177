#pragma once
// Webhooks: a JSON event POSTed to every --webhook URL when an instance
// starts, becomes ready, fails, is reaped or evicted, and on capacity
// pressure. Delivery happens on a thread of its own through a bounded queue
// (the oldest event is dropped when full), with retries and backoff and a
// per-attempt timeout, so a slow or dead receiver never touches MCP traffic.
// Each POST carries X-MCP-Gateway-Signature: sha256=<hex HMAC-SHA256 of the
// body> keyed with the webhook secret.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/mutex.h"
#include "gateway/observability/metrics.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kSignatureHeader = "X-MCP-Gateway-Signature";
inline constexpr std::string_view kEventHeader = "X-MCP-Gateway-Event";

struct WebhookOptions {
  std::vector<std::string> urls;
  std::string secret;  // HMAC key
  std::size_t queue_capacity = 1024;
  std::chrono::milliseconds timeout{5'000};  // per attempt
  int max_attempts = 4;
  std::chrono::milliseconds first_backoff{500};  // doubles per retry
  // capacity.pressure fires when live instances reach this share of
  // --max-instances (and again only after dropping below it).
  double capacity_threshold = 0.8;
  // At most one capacity.pressure event for refusals per this interval.
  std::chrono::milliseconds refusal_event_interval{1'000};
};

// "sha256=" + lower-case hex HMAC-SHA256(secret, body).
std::string WebhookSignature(std::string_view secret, std::string_view body);

class WebhookNotifier final : public runtime::PoolObserver {
 public:
  // Deadlines, the refusal-event interval and event times are `clock`'s.
  WebhookNotifier(WebhookOptions options, const common::Clock& clock,
                  GatewayMetrics* metrics);
  ~WebhookNotifier() override;
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  void Start();
  // Sends what is queued, one attempt each, until `flush` has passed; then
  // ends the delivery thread.
  void Stop(std::chrono::milliseconds flush);

  void OnPoolEvent(const runtime::PoolEvent& event) override;
  // Queues `event` ({"event":..., ...}); drops the oldest when full.
  void Enqueue(nlohmann::json event);

  // When a transfer in progress is abandoned, in ticks of the clock's
  // Now(): read by libcurl's progress callback.
  struct AbortAt {
    const common::Clock& clock;
    std::atomic<std::int64_t> ticks{std::numeric_limits<std::int64_t>::max()};
  };

 private:
  void Run();
  // One POST; true on a 2xx answer.
  bool Post(void* curl, const std::string& url, const std::string& body,
            const std::string& event_name);

  const WebhookOptions options_;
  const common::Clock& clock_;
  GatewayMetrics* const metrics_;
  Mutex mutex_;
  CondVar wake_;  // queue_ grew or stopping_ was set
  std::deque<nlohmann::json> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  // The delivery thread has ended.
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  std::chrono::steady_clock::time_point flush_deadline_ ABSL_GUARDED_BY(mutex_){};
  // Started and joined by the thread that owns the notifier.
  std::thread thread_;
  AbortAt abort_at_;
  // Capacity pressure bookkeeping.
  bool above_threshold_ ABSL_GUARDED_BY(mutex_) = false;
  std::chrono::steady_clock::time_point last_refusal_event_
      ABSL_GUARDED_BY(mutex_){};
};

}  // namespace mcpgw::gateway
