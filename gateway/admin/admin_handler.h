#pragma once
// The admin listener: health, readiness, metrics and the operator's view
// and levers over instances. Routing (and the token check) is decided by
// DecideAdminRoute; this class only carries it out.

#include <functional>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "gateway/admin/admin_route.h"
#include "gateway/admin/console_assets.h"
#include "gateway/admin/console_feed.h"
#include "gateway/admin/tenant_admin.h"
#include "gateway/http/http_server.h"
#include "gateway/observability/metrics.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

// The JSON the admin API shows for one instance. Nothing secret.
nlohmann::json InstanceToJson(const runtime::InstanceSnapshot& instance);
// GET /admin/warm-pool: the warm pool's state and counters.
nlohmann::json WarmPoolToJson(const runtime::WarmPoolStats& stats);

// GET /admin/scaling: load of this replica against its capacity, and how
// many replicas would carry it at `target_utilisation`.
nlohmann::json ScalingToJson(const runtime::PoolStats& stats,
                             double target_utilisation);

struct AdminOptions {
  std::string admin_token;  // secret
  // GET /admin/config: the effective configuration, secrets already hidden.
  nlohmann::json config;
  // GET /readyz: OK when the gateway can start instances.
  std::function<absl::Status()> readiness;
  double target_utilisation = 0.8;
  // Null when there is none (--warm-pool 0, or the docker runtime).
  std::function<runtime::WarmPoolStats()> warm_pool;
  // GET /admin/sessions.
  std::function<nlohmann::json()> sessions;
  // /admin/tenants; null: no tenant registry.
  TenantAdmin* tenants = nullptr;
  // /console (the page's files) and /admin/feed (its live updates); null:
  // the console was not found at start-up (its files) / is off (the feed).
  const ConsoleAssets* console = nullptr;
  ConsoleFeed* feed = nullptr;
};

// Endpoints whose answer may block (the tenant registry's SQLite, /proc,
// an engine's log API, file checks) are answered on `blocking`
// (gateway/http/blocking_work.h), never on the I/O threads.
class AdminHandler final : public RequestHandler {
 public:
  // The console feed's ticks, keep-alives and times are `clock`'s.
  AdminHandler(runtime::InstancePoolApi& pool, GatewayMetrics& metrics,
               const common::Clock& clock, AdminOptions options,
               asio::thread_pool& blocking)
      : pool_(pool),
        metrics_(metrics),
        clock_(clock),
        options_(std::move(options)),
        blocking_(blocking) {}
  asio::awaitable<bool> Handle(Request request, beast::tcp_stream& stream,
                               ConnectionTail& tail) override;

  struct Answer;  // what an endpoint answers (admin_handler.cc)

 private:
  // The answer to one routed call (any thread).
  Answer AnswerCall(const AdminCall& call, const Request& request);
  // The admin API's instance list, with tenants, filtered.
  nlohmann::json InstancesJson(const InstanceFilter& filter) const;
  // InstancesJson({}) made on the blocking pool (for the console's feed).
  asio::awaitable<nlohmann::json> AllInstancesJsonOffIo();

  runtime::InstancePoolApi& pool_;
  GatewayMetrics& metrics_;
  const common::Clock& clock_;
  const AdminOptions options_;
  asio::thread_pool& blocking_;
};

}  // namespace mcpgw::gateway
