#pragma once
// Prometheus metrics of the gateway (text exposition at GET /metrics on the
// admin listener). Every label value comes from a small fixed set: no DSN,
// token, instance id or other unbounded value ever becomes a label.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <cstdint>

#include "runtime/pool_api.h"
#include "runtime/pool_api.h"

namespace prometheus {
class Registry;
}

namespace mcpgw::gateway {

// The `method` label of an MCP request: a known MCP method name, "batch",
// "invalid" (no JSON-RPC object) or "other".
std::string_view MethodLabel(std::string_view method);

// The `reason` label of a refusal, from its JSON-RPC code and HTTP status.
std::string_view RefusalReason(int rpc_code, int http_status);

// How one MCP request ended (the `outcome` label).
namespace outcome {
inline constexpr std::string_view kOk = "ok";                // answered
inline constexpr std::string_view kRefused = "refused";      // gateway said no
inline constexpr std::string_view kStartFailed = "start_failed";
inline constexpr std::string_view kBackendError = "backend_error";
inline constexpr std::string_view kClientGone = "client_gone";
}  // namespace outcome

struct RequestRecord {
  std::string_view method;   // a MethodLabel
  std::string_view outcome;  // one of outcome::
  double seconds = 0;        // through the gateway
  double backend_seconds = -1;  // spent in the instance; < 0: none
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
};

// The request-latency histogram summed over every method: what the console
// draws its latency percentiles and request rate from.
struct LatencyTotals {
  std::vector<double> upper_bounds;         // seconds, ascending
  std::vector<std::uint64_t> cumulative;    // requests at or under each bound
  std::uint64_t count = 0;                  // all requests, +Inf included
};

class GatewayMetrics final : public runtime::PoolObserver {
 public:
  GatewayMetrics();
  ~GatewayMetrics() override;
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // Gauges read at scrape time (instances by state, in flight, streams).
  void SetPoolStats(std::function<runtime::PoolStats()> stats);
  // The warm pool's workers, claims and refill times, read at scrape time.
  void SetWarmPoolStats(std::function<runtime::WarmPoolStats()> stats);
  // Sessions with state in this process (the legacy transport's), read at
  // scrape time.
  void SetSessionCount(std::function<std::size_t()> count);

  void RecordRequest(const RequestRecord& record);
  void RecordRefusal(int rpc_code, int http_status);
  // Webhook deliveries: "delivered", "failed" (after every retry), "dropped"
  // (queue full).
  void RecordWebhook(std::string_view result);
  void OnPoolEvent(const runtime::PoolEvent& event) override;

  LatencyTotals RequestLatency() const;

  // The text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  struct Families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
  std::function<runtime::PoolStats()> pool_stats_;
  std::function<runtime::WarmPoolStats()> warm_pool_stats_;
  std::function<std::size_t()> session_count_;
};

inline constexpr std::string_view kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace mcpgw::gateway
