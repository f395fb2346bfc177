#include "gateway/observability/webhooks.h"

#include <curl/curl.h>

#include <spdlog/spdlog.h>

#include "absl/time/time.h"
#include "common/random_token.h"
#include "common/redaction.h"
#include "policies/instance_key.h"

namespace mcpgw::gateway {
namespace {

std::size_t Discard(char*, std::size_t size, std::size_t count, void*) {
  return size * count;
}

// libcurl calls this about once a second even while nothing moves: a
// non-zero return aborts the transfer, so that shutdown never waits a whole
// timeout on a receiver that does not answer.
int AbortWhenDue(void* clientp, curl_off_t, curl_off_t, curl_off_t,
                 curl_off_t) {
  const auto* abort_at = static_cast<const WebhookNotifier::AbortAt*>(clientp);
  const auto now = abort_at->clock.Now().time_since_epoch().count();
  return now >= abort_at->ticks.load() ? 1 : 0;
}

std::string FormatTime(std::chrono::system_clock::time_point at) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(at),
                          absl::UTCTimeZone());
}

nlohmann::json InstanceJson(const runtime::PoolEvent& event) {
  return {{"id", event.instance_id},
          {"key_prefix", event.key_prefix},
          {"target", event.redacted_target},
          {"runtime", event.runtime}};
}

nlohmann::json Base(std::string_view name, const runtime::PoolEvent& event,
                    const common::Clock& clock) {
  return {{"event", name},
          {"id", common::RandomHex(8)},
          {"time", FormatTime(clock.WallNow())},
          {"pool",
           {{"instances", event.live_instances},
            {"max_instances", event.max_instances}}}};
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  // DeriveInstanceKey is HMAC-SHA256(secret, text) in lower-case hex.
  return "sha256=" + policies::DeriveInstanceKey(secret, body);
}

WebhookNotifier::WebhookNotifier(WebhookOptions options,
                                 const common::Clock& clock,
                                 GatewayMetrics* metrics)
    : options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      abort_at_{clock} {}

WebhookNotifier::~WebhookNotifier() { Stop(std::chrono::milliseconds(0)); }

void WebhookNotifier::Start() {
  if (options_.urls.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void WebhookNotifier::Stop(std::chrono::milliseconds flush) {
  {
    MutexLock lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      flush_deadline_ = clock_.Now() + flush;
      abort_at_.ticks = flush_deadline_.time_since_epoch().count();
    }
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mutex_);
  closed_ = true;
  queue_.clear();
}

void WebhookNotifier::OnPoolEvent(const runtime::PoolEvent& event) {
  if (options_.urls.empty()) return;
  using Type = runtime::PoolEvent::Type;
  const double load =
      event.max_instances > 0
          ? static_cast<double>(event.live_instances) / event.max_instances
          : 0.0;
  bool pressure = false;
  bool refusal_event = false;
  {
    MutexLock lock(mutex_);
    if (load >= options_.capacity_threshold) {
      pressure = !above_threshold_ && event.type == Type::kStarting;
      above_threshold_ = above_threshold_ || pressure;
    } else {
      above_threshold_ = false;
    }
    if (event.type == Type::kCapacityRefused) {
      const auto now = clock_.Now();
      if (now - last_refusal_event_ >= options_.refusal_event_interval) {
        refusal_event = true;
        last_refusal_event_ = now;
      }
    }
  }

  nlohmann::json out;
  switch (event.type) {
    case Type::kStarting:
      out = Base("instance.started", event, clock_);
      out["instance"] = InstanceJson(event);
      break;
    case Type::kReady:
      out = Base("instance.ready", event, clock_);
      out["instance"] = InstanceJson(event);
      out["kind"] = runtime::ToString(event.spawn_kind);
      out["spawn_ms"] = event.spawn_latency.count();
      break;
    case Type::kFailed:
      out = Base("instance.failed", event, clock_);
      out["instance"] = InstanceJson(event);
      out["was"] = runtime::ToString(event.state);
      out["reason"] = event.reason;
      break;
    case Type::kStopping: {
      const auto reason = event.stop_reason;
      out = Base(reason == runtime::StopReason::kIdle      ? "instance.reaped"
                 : reason == runtime::StopReason::kEvicted ? "instance.evicted"
                                                           : "instance.stopped",
                 event, clock_);
      out["instance"] = InstanceJson(event);
      out["reason"] = runtime::ToString(reason);
      break;
    }
    case Type::kDraining:  // its kStopping follows, once it is idle
    case Type::kExited:
      break;
    case Type::kCapacityRefused:
      if (refusal_event) {
        out = Base("capacity.pressure", event, clock_);
        out["cause"] = "refused";
      }
      break;
  }
  if (!out.is_null()) Enqueue(std::move(out));
  if (pressure) {
    nlohmann::json threshold = Base("capacity.pressure", event, clock_);
    threshold["cause"] = "threshold";
    threshold["threshold"] = options_.capacity_threshold;
    Enqueue(std::move(threshold));
  }
}

void WebhookNotifier::Enqueue(nlohmann::json event) {
  if (options_.urls.empty()) return;
  bool dropped = false;
  {
    MutexLock lock(mutex_);
    if (closed_) return;  // nobody would send it
    if (queue_.size() >= options_.queue_capacity) {
      queue_.pop_front();
      dropped = true;
    }
    queue_.push_back(std::move(event));
  }
  if (dropped && metrics_ != nullptr) metrics_->RecordWebhook("dropped");
  wake_.NotifyOne();
}

bool WebhookNotifier::Post(void* handle, const std::string& url,
                           const std::string& body,
                           const std::string& event_name) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  const std::string signature =
      std::string(kSignatureHeader) + ": " + WebhookSignature(options_.secret, body);
  const std::string event_header =
      std::string(kEventHeader) + ": " + event_name;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, signature.c_str());
  headers = curl_slist_append(headers, event_header.c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "mcp-gateway-webhook");
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortWhenDue);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &abort_at_);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  return code == CURLE_OK && status >= 200 && status < 300;
}

void WebhookNotifier::Run() {
  CURL* curl = curl_easy_init();
  for (;;) {
    nlohmann::json event;
    bool flushing = false;
    {
      MutexLock lock(mutex_);
      wake_.Wait(mutex_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !queue_.empty();
      });
      if (stopping_ &&
          (queue_.empty() || clock_.Now() >= flush_deadline_)) {
        if (!queue_.empty()) {
          spdlog::warn("webhooks: {} event(s) not sent at shutdown",
                       queue_.size());
        }
        break;
      }
      event = std::move(queue_.front());
      queue_.pop_front();
      flushing = stopping_;
    }
    const std::string body = event.dump();
    const std::string name = event.value("event", "");
    for (const auto& url : options_.urls) {
      bool delivered = false;
      auto backoff = options_.first_backoff;
      const int attempts = flushing ? 1 : options_.max_attempts;
      for (int attempt = 1; attempt <= attempts && !delivered; ++attempt) {
        delivered = curl != nullptr && Post(curl, url, body, name);
        if (delivered || attempt == attempts) break;
        MutexLock lock(mutex_);
        if (wake_.WaitFor(mutex_, backoff,
                          [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
                            return stopping_;
                          })) {
          break;
        }
        backoff *= 2;
      }
      if (metrics_ != nullptr) {
        metrics_->RecordWebhook(delivered ? "delivered" : "failed");
      }
      if (!delivered) {
        spdlog::warn("webhook {} to {} failed", name,
                     common::RedactUrlCredentials(url));
      }
    }
  }
  if (curl != nullptr) curl_easy_cleanup(curl);
}

}  // namespace mcpgw::gateway
