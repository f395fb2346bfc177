#include "gateway/observability/metrics.h"

#include <array>
#include <atomic>
#include <optional>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/mutex.h"
#include "gateway/http/internal_errors.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Request latency: 1 ms .. 2 min (tools/call may run a long query).
const prometheus::Histogram::BucketBoundaries kRequestBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5,   1,      2.5,   5,    10,    30,   60,  120};
// Spawn latency: a cold DBHub start takes about a second.
const prometheus::Histogram::BucketBoundaries kSpawnBuckets = {
    0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30};

constexpr std::array<std::string_view, 5> kOutcomes = {
    outcome::kOk, outcome::kRefused, outcome::kStartFailed,
    outcome::kBackendError, outcome::kClientGone,
};

constexpr std::array<std::string_view, 16> kKnownMethods = {
    "initialize",          "ping",
    "tools/list",          "tools/call",
    "resources/list",      "resources/read",
    "resources/templates/list", "resources/subscribe",
    "prompts/list",        "prompts/get",
    "completion/complete", "logging/setLevel",
    "notifications/initialized", "notifications/cancelled",
    "batch",               "invalid",
};

}  // namespace

std::string_view MethodLabel(std::string_view method) {
  for (auto known : kKnownMethods) {
    if (method == known) return known;
  }
  return "other";
}

std::string_view RefusalReason(int rpc_code, int http_status) {
  namespace code = policies::rpc_code;
  switch (rpc_code) {
    case code::kMissingCredentials:
      return "missing_credentials";
    case code::kBadTarget:
      return "bad_target";
    case code::kBackendStartFailed:
      return "start_failed";
    case code::kNoCapacity:
      return "capacity";
    case code::kBackendFailed:
      return "backend_failed";
    case code::kShuttingDown:
      return "shutting_down";
    case code::kForbidden:
      return "forbidden";
    case code::kUnauthorized:
      return "unauthorized";
    case code::kRateLimited:
      return "rate_limited";
    case code::kTenantLimit:
      return "tenant_limit";
    case code::kInstanceBusy:
      return "instance_busy";
    default:
      break;
  }
  if (http_status == 404) return "not_found";
  if (http_status == 405) return "method_not_allowed";
  if (http_status == 413 || http_status == 431) return "too_large";
  return "other";
}

struct GatewayMetrics::Families {
  explicit Families(prometheus::Registry& r)
      : requests(BuildCounter()
                     .Name("mcp_gateway_requests_total")
                     .Help("MCP requests by method and outcome")
                     .Register(r)),
        request_seconds(
            BuildHistogram()
                .Name("mcp_gateway_request_duration_seconds")
                .Help("Time from a request's arrival to the end of its answer")
                .Register(r)),
        backend_seconds(BuildHistogram()
                            .Name("mcp_gateway_backend_duration_seconds")
                            .Help("Part of a request spent waiting on and "
                                  "relaying from the instance")
                            .Register(r)),
        bytes(BuildCounter()
                  .Name("mcp_gateway_bytes_total")
                  .Help("MCP bytes received from clients (in) and sent to "
                        "them (out), bodies only")
                  .Register(r)),
        refusals(BuildCounter()
                     .Name("mcp_gateway_refusals_total")
                     .Help("Requests the gateway answered with its own "
                           "JSON-RPC error, by reason and code")
                     .Register(r)),
        instances(BuildGauge()
                      .Name("mcp_gateway_instances")
                      .Help("Instances by state")
                      .Register(r)),
        max_instances(BuildGauge()
                          .Name("mcp_gateway_max_instances")
                          .Help("--max-instances")
                          .Register(r)),
        in_flight(BuildGauge()
                      .Name("mcp_gateway_in_flight_requests")
                      .Help("Requests holding an instance right now")
                      .Register(r)),
        open_streams(BuildGauge()
                         .Name("mcp_gateway_open_streams")
                         .Help("SSE answers being relayed right now")
                         .Register(r)),
        sessions(BuildGauge()
                     .Name("mcp_gateway_sessions")
                     .Help("MCP sessions holding state in this gateway process: open "
                           "legacy HTTP+SSE sessions (Streamable HTTP sessions "
                           "are sealed tokens and hold none)")
                     .Register(r)),
        warm_workers(BuildGauge()
                         .Name("mcp_gateway_warm_pool_workers")
                         .Help("Warm-pool workers by state (idle: ready to be "
                               "claimed; warming: loading DBHub)")
                         .Register(r)),
        warm_size(BuildGauge()
                      .Name("mcp_gateway_warm_pool_size")
                      .Help("--warm-pool while the pool is active, else 0")
                      .Register(r)),
        warm_claims(BuildCounter()
                        .Name("mcp_gateway_warm_pool_claims_total")
                        .Help("Launches that found an idle worker (hit) or "
                              "none (miss)")
                        .Register(r)),
        warm_replaced(BuildCounter()
                          .Name("mcp_gateway_warm_pool_replaced_total")
                          .Help("Workers that died or hung before a claim")
                          .Register(r)),
        warm_refill(BuildGauge()
                        .Name("mcp_gateway_warm_pool_refill_seconds")
                        .Help("Time from a worker's spawn to warm, last and "
                              "mean")
                        .Register(r)),
        spawns(BuildCounter()
                   .Name("mcp_gateway_spawns_total")
                   .Help("Instances started and ready, by kind (cold: a new DBHub, "
                         "warm: a warm-pool worker)")
                   .Register(r)),
        spawn_failures(BuildCounter()
                           .Name("mcp_gateway_spawn_failures_total")
                           .Help("Instances that never became ready")
                           .Register(r)),
        spawn_seconds(BuildHistogram()
                          .Name("mcp_gateway_spawn_duration_seconds")
                          .Help("Time from spawn to ready, by kind")
                          .Register(r)),
        crashes(BuildCounter()
                    .Name("mcp_gateway_instance_crashes_total")
                    .Help("Ready instances that exited on their own")
                    .Register(r)),
        reaps(BuildCounter()
                  .Name("mcp_gateway_reaps_total")
                  .Help("Instances the gateway stopped, by reason (idle, "
                        "drained, deleted, shutdown)")
                  .Register(r)),
        evictions(BuildCounter()
                      .Name("mcp_gateway_evictions_total")
                      .Help("Idle instances stopped to make room")
                      .Register(r)),
        webhooks(BuildCounter()
                     .Name("mcp_gateway_webhook_events_total")
                     .Help("Webhook events by result (delivered, failed, "
                           "dropped)")
                     .Register(r)) {}

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& request_seconds;
  prometheus::Family<prometheus::Histogram>& backend_seconds;
  prometheus::Family<prometheus::Counter>& bytes;
  prometheus::Family<prometheus::Counter>& refusals;
  prometheus::Family<prometheus::Gauge>& instances;
  prometheus::Family<prometheus::Gauge>& max_instances;
  prometheus::Family<prometheus::Gauge>& in_flight;
  prometheus::Family<prometheus::Gauge>& open_streams;
  prometheus::Family<prometheus::Gauge>& sessions;
  prometheus::Family<prometheus::Gauge>& warm_workers;
  prometheus::Family<prometheus::Gauge>& warm_size;
  prometheus::Family<prometheus::Counter>& warm_claims;
  prometheus::Family<prometheus::Counter>& warm_replaced;
  prometheus::Family<prometheus::Gauge>& warm_refill;
  // The warm pool keeps its own totals; the counters follow them by
  // increments (a Prometheus counter cannot be set).
  Mutex warm_mutex;
  runtime::WarmPoolStats warm_seen ABSL_GUARDED_BY(warm_mutex);
  prometheus::Family<prometheus::Counter>& spawns;
  prometheus::Family<prometheus::Counter>& spawn_failures;
  prometheus::Family<prometheus::Histogram>& spawn_seconds;
  prometheus::Family<prometheus::Counter>& crashes;
  prometheus::Family<prometheus::Counter>& reaps;
  prometheus::Family<prometheus::Counter>& evictions;
  prometheus::Family<prometheus::Counter>& webhooks;

  // The series RecordRequest updates, found once: Family::Add looks a
  // series up by its label map (built, hashed and compared under the
  // family's mutex) on every call. A series is made on first use, as
  // before, so that /metrics lists only what happened; series are never
  // removed, so the pointers stay valid.
  static constexpr std::size_t kMethods = kKnownMethods.size() + 1;  // + other
  std::array<std::array<std::atomic<prometheus::Counter*>, kOutcomes.size()>, kMethods>
      request_series{};
  std::array<std::atomic<prometheus::Histogram*>, kMethods> request_seconds_series{};
  std::array<std::atomic<prometheus::Histogram*>, kMethods> backend_seconds_series{};
  prometheus::Counter* bytes_in = nullptr;
  prometheus::Counter* bytes_out = nullptr;
};

namespace {

// The series in `cell`, made by `make` the first time (two threads may
// both make it: Family::Add gives both the same one).
template <typename Metric, typename Make>
Metric& Series(std::atomic<Metric*>& cell, const Make& make) {
  Metric* metric = cell.load(std::memory_order_acquire);
  if (metric == nullptr) {
    metric = &make();
    cell.store(metric, std::memory_order_release);
  }
  return *metric;
}

// Index of a MethodLabel in kKnownMethods; kKnownMethods.size() for "other".
std::size_t MethodIndex(std::string_view label) {
  for (std::size_t i = 0; i < kKnownMethods.size(); ++i) {
    if (kKnownMethods[i] == label) return i;
  }
  return kKnownMethods.size();
}

std::optional<std::size_t> OutcomeIndex(std::string_view label) {
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    if (kOutcomes[i] == label) return i;
  }
  return std::nullopt;
}

}  // namespace

GatewayMetrics::GatewayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<Families>(*registry_)) {
  // Series that exist from the start, so that rates and alerts see zeros.
  auto& f = *families_;
  for (const char* kind : {"cold", "warm"}) {
    f.spawns.Add({{"kind", kind}});
    f.spawn_seconds.Add({{"kind", kind}}, kSpawnBuckets);
  }
  f.spawn_failures.Add({});
  f.crashes.Add({});
  f.evictions.Add({});
  for (const char* reason : {"idle", "drained", "deleted", "shutdown"}) {
    f.reaps.Add({{"reason", reason}});
  }
  f.bytes_in = &f.bytes.Add({{"direction", "in"}});
  f.bytes_out = &f.bytes.Add({{"direction", "out"}});
  f.sessions.Add({}).Set(0);
  for (const char* result : {"delivered", "failed", "dropped"}) {
    f.webhooks.Add({{"result", result}});
  }
}

GatewayMetrics::~GatewayMetrics() = default;

void GatewayMetrics::SetPoolStats(std::function<runtime::PoolStats()> stats) {
  pool_stats_ = std::move(stats);
}

void GatewayMetrics::SetSessionCount(std::function<std::size_t()> count) {
  session_count_ = std::move(count);
}

void GatewayMetrics::SetWarmPoolStats(
    std::function<runtime::WarmPoolStats()> stats) {
  warm_pool_stats_ = std::move(stats);
  auto& f = *families_;
  for (const char* result : {"hit", "miss"}) f.warm_claims.Add({{"result", result}});
  f.warm_replaced.Add({});
}

void GatewayMetrics::RecordRequest(const RequestRecord& record) {
  auto& f = *families_;
  const std::string method(record.method);
  const auto requests = [&]() -> prometheus::Counter& {
    return f.requests.Add({{"method", method}, {"outcome", std::string(record.outcome)}});
  };
  const auto request_seconds = [&]() -> prometheus::Histogram& {
    return f.request_seconds.Add({{"method", method}}, kRequestBuckets);
  };
  const auto backend_seconds = [&]() -> prometheus::Histogram& {
    return f.backend_seconds.Add({{"method", method}}, kRequestBuckets);
  };
  const std::size_t method_index = MethodIndex(record.method);
  const auto outcome_index = OutcomeIndex(record.outcome);
  if ((method_index < kKnownMethods.size() || record.method == "other") &&
      outcome_index) {
    Series(f.request_series[method_index][*outcome_index], requests).Increment();
    Series(f.request_seconds_series[method_index], request_seconds)
        .Observe(record.seconds);
    if (record.backend_seconds >= 0) {
      Series(f.backend_seconds_series[method_index], backend_seconds)
          .Observe(record.backend_seconds);
    }
  } else {  // a label outside the fixed sets: looked up every time
    requests().Increment();
    request_seconds().Observe(record.seconds);
    if (record.backend_seconds >= 0) {
      backend_seconds().Observe(record.backend_seconds);
    }
  }
  f.bytes_in->Increment(static_cast<double>(record.bytes_in));
  f.bytes_out->Increment(static_cast<double>(record.bytes_out));
}

void GatewayMetrics::RecordRefusal(int rpc_code, int http_status) {
  families_->refusals
      .Add({{"reason", std::string(RefusalReason(rpc_code, http_status))},
            {"code", std::to_string(rpc_code)}})
      .Increment();
}

void GatewayMetrics::RecordWebhook(std::string_view result) {
  families_->webhooks.Add({{"result", std::string(result)}}).Increment();
}

void GatewayMetrics::OnPoolEvent(const runtime::PoolEvent& event) {
  using Type = runtime::PoolEvent::Type;
  auto& f = *families_;
  const std::string kind = runtime::ToString(event.spawn_kind);
  switch (event.type) {
    case Type::kStarting:
      break;
    case Type::kReady:
      f.spawns.Add({{"kind", kind}}).Increment();
      f.spawn_seconds.Add({{"kind", kind}}, kSpawnBuckets)
          .Observe(static_cast<double>(event.spawn_latency.count()) / 1000.0);
      break;
    case Type::kFailed:
      if (event.state == runtime::InstanceState::kStarting) {
        f.spawn_failures.Add({}).Increment();
      } else {
        f.crashes.Add({}).Increment();
      }
      break;
    case Type::kStopping:
      if (event.stop_reason == runtime::StopReason::kEvicted) {
        f.evictions.Add({}).Increment();
      } else {
        f.reaps.Add({{"reason", runtime::ToString(event.stop_reason)}})
            .Increment();
      }
      break;
    case Type::kDraining:
    case Type::kExited:
      break;
    case Type::kCapacityRefused:
      // Counted as a refusal (reason="capacity") by the MCP handler.
      break;
  }
}

LatencyTotals GatewayMetrics::RequestLatency() const {
  LatencyTotals totals;
  totals.upper_bounds.assign(kRequestBuckets.begin(), kRequestBuckets.end());
  totals.cumulative.assign(kRequestBuckets.size(), 0);
  for (const auto& family : families_->request_seconds.Collect()) {
    for (const auto& metric : family.metric) {
      totals.count += metric.histogram.sample_count;
      // Every series has the same bounds (kRequestBuckets) and then +Inf.
      for (std::size_t i = 0;
           i < metric.histogram.bucket.size() && i < totals.cumulative.size();
           ++i) {
        totals.cumulative[i] += metric.histogram.bucket[i].cumulative_count;
      }
    }
  }
  return totals;
}

std::string GatewayMetrics::Render() const {
  auto& f = *families_;
  if (session_count_) {
    f.sessions.Add({}).Set(static_cast<double>(session_count_()));
  }
  if (pool_stats_) {
    const auto stats = pool_stats_();
    f.instances.Add({{"state", "starting"}}).Set(stats.starting);
    f.instances.Add({{"state", "ready"}}).Set(stats.ready);
    f.instances.Add({{"state", "draining"}}).Set(stats.draining);
    f.instances.Add({{"state", "stopping"}}).Set(stats.stopping);
    f.max_instances.Add({}).Set(stats.max_instances);
    f.in_flight.Add({}).Set(stats.in_flight);
    f.open_streams.Add({}).Set(stats.open_streams);
  }
  if (warm_pool_stats_) {
    const auto stats = warm_pool_stats_();
    const bool active = stats.state == runtime::WarmPoolState::kActive;
    f.warm_workers.Add({{"state", "idle"}}).Set(stats.idle);
    f.warm_workers.Add({{"state", "warming"}}).Set(stats.warming);
    f.warm_size.Add({}).Set(active ? stats.size : 0);
    auto seconds = [](const std::optional<std::chrono::milliseconds>& value) {
      return value ? static_cast<double>(value->count()) / 1000.0 : 0.0;
    };
    f.warm_refill.Add({{"stat", "last"}}).Set(seconds(stats.last_refill));
    f.warm_refill.Add({{"stat", "mean"}}).Set(seconds(stats.mean_refill));
    MutexLock lock(f.warm_mutex);
    f.warm_claims.Add({{"result", "hit"}})
        .Increment(static_cast<double>(stats.hits - f.warm_seen.hits));
    f.warm_claims.Add({{"result", "miss"}})
        .Increment(static_cast<double>(stats.misses - f.warm_seen.misses));
    f.warm_replaced.Add({}).Increment(
        static_cast<double>(stats.replaced - f.warm_seen.replaced));
    f.warm_seen = stats;
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  // Process-wide (the HTTP server's catch-all), hence outside the registry.
  out << "# HELP mcp_gateway_internal_errors_total Requests whose handler "
         "failed with an exception (a gateway bug; the connection got a 500 "
         "or was closed)\n"
         "# TYPE mcp_gateway_internal_errors_total counter\n"
         "mcp_gateway_internal_errors_total "
      << InternalErrorCount() << "\n";
  return out.str();
}

}  // namespace mcpgw::gateway
