#include "runtime/kube_ended_sessions.h"

#include <charconv>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "absl/time/time.h"
#include "common/text.h"
#include "policies/credential_cipher.h"
#include "runtime/kube_spec.h"
#include "runtime/kube_watch.h"

namespace mcpgw::runtime {

using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds kCallTimeout{15'000};
constexpr const char* kKindLabel = "mcp-gateway/kind";
constexpr const char* kKindEndedSession = "ended-session";
constexpr const char* kNonceKey = "nonce";
constexpr const char* kExpiresKey = "expires-at";

std::string Selector(const std::string& gateway_id) {
  return text::Cat(GatewaySelector(gateway_id), ",", kKindLabel, "=", kKindEndedSession);
}

}  // namespace

std::string KubeEndedSessions::ObjectName(const std::string& gateway_id,
                                          const std::string& nonce) {
  return text::Cat("mcpgw-ended-",
                   policies::Sha256Hex(text::Cat(gateway_id, "/", nonce)).substr(0, 40));
}

KubeEndedSessions::KubeEndedSessions(std::shared_ptr<const KubeClient> client,
                                     std::string namespace_name, std::string gateway_id,
                                     OnEnded on_ended, const common::Clock& clock)
    : client_(std::move(client)),
      namespace_(std::move(namespace_name)),
      gateway_id_(std::move(gateway_id)),
      collection_(text::Cat("/api/v1/namespaces/", namespace_, "/configmaps")),
      on_ended_(std::move(on_ended)),
      clock_(clock) {
  watcher_ = std::thread([this] { WatchLoop(); });
  publisher_ = std::thread([this] { PublishLoop(); });
}

KubeEndedSessions::~KubeEndedSessions() {
  {
    // Set under the lock that PublishLoop's wait checks it under: set
    // between its check and its sleep, the notification would be lost and
    // the join below would wait for ever.
    MutexLock lock(mutex_);
    stopping_.store(true);
  }
  changed_.NotifyAll();
  watcher_.join();
  publisher_.join();
}

void KubeEndedSessions::Publish(const std::string& nonce, std::int64_t expires_at) {
  {
    MutexLock lock(mutex_);
    queue_.emplace_back(nonce, expires_at);
  }
  changed_.NotifyOne();
}

void KubeEndedSessions::PublishLoop() {
  for (;;) {
    std::pair<std::string, std::int64_t> ended;
    {
      MutexLock lock(mutex_);
      changed_.Wait(mutex_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_.load() || !queue_.empty();
      });
      // Ends not yet written when the gateway stops are written first:
      // a client that saw its DELETE answered must not see it undone.
      if (queue_.empty()) return;
      ended = std::move(queue_.front());
      queue_.pop_front();
    }
    const json object = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata",
         {{"name", ObjectName(gateway_id_, ended.first)},
          {"labels",
           {{kube_label::kManagedBy, kube_label::kManagedByValue},
            {kube_label::kGatewayId, gateway_id_},
            {kKindLabel, kKindEndedSession}}}}},
        {"data", {{kNonceKey, ended.first}, {kExpiresKey, std::to_string(ended.second)}}}};
    auto created = client_->Call("POST", collection_, object.dump(), kCallTimeout);
    if (!created.ok()) {
      spdlog::error("recording an ended session for the other replicas: {}",
                    std::string(created.status().message()));
    } else if (created->status != 201 && created->status != 409) {
      spdlog::error("{}", DescribeApiError(created->status, created->body,
                                           text::Cat("create configmaps in namespace ",
                                                     namespace_)));
    }
  }
}

void KubeEndedSessions::WatchLoop() {
  auto last_complaint = std::chrono::steady_clock::time_point{};
  auto take = [this](const json& object) {
    const json data = object.value("data", json::object());
    const std::string nonce = data.value(kNonceKey, std::string());
    const std::string expires = data.value(kExpiresKey, std::string());
    std::int64_t expires_at = 0;
    const auto [end, ec] =
        std::from_chars(expires.data(), expires.data() + expires.size(), expires_at);
    if (nonce.empty() || ec != std::errc() || end != expires.data() + expires.size()) {
      return;
    }
    if (expires_at < absl::ToUnixSeconds(absl::FromChrono(clock_.WallNow()))) {
      // Expired: refused as such anyway. Whoever sees it first removes it.
      const std::string name = runtime::ObjectName(object);  // not the record-name member
      (void)client_->Call("DELETE", text::Cat(collection_, "/", name), std::nullopt,
                          kCallTimeout);
      return;
    }
    on_ended_(nonce, expires_at);
  };
  KubeWatchHandlers handlers;
  handlers.on_list = [&](const json& items, auto) {
    for (const auto& item : items) take(item);
  };
  handlers.on_event = [&](const std::string& type, const json& object) {
    if (type != "DELETED") take(object);
  };
  handlers.on_error = [&](long, const std::string& message) {
    if (clock_.Now() - last_complaint > std::chrono::seconds(30)) {
      spdlog::error("watching ended sessions: {}", message);
      last_complaint = clock_.Now();
    }
  };
  ListAndWatch(*client_, {.collection = collection_, .label_selector = Selector(gateway_id_)},
               handlers, stopping_);
}

}  // namespace mcpgw::runtime
