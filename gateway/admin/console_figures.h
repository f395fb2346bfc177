#pragma once
// The console's small charts, from the gateway's own request-latency
// histogram (GatewayMetrics::RequestLatency): the requests between two
// readings, their rate, and their percentiles. Pure.

#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>

#include "gateway/observability/metrics.h"

namespace mcpgw::gateway {

// The requests counted in `later` but not in `earlier` (same bounds).
LatencyTotals Subtract(const LatencyTotals& later, const LatencyTotals& earlier);

// The `quantile` (0..1) of `totals` in milliseconds, interpolated linearly
// inside its bucket (as Prometheus' histogram_quantile does); nullopt when
// there is no request. Past the last finite bound: that bound.
std::optional<double> QuantileMs(const LatencyTotals& totals, double quantile);

// {"requests_per_s", "p50_ms", "p95_ms", "p99_ms"} over `window` (the
// percentiles are null when no request finished in it).
nlohmann::json LatencyFigures(const LatencyTotals& window,
                              std::chrono::milliseconds span);

}  // namespace mcpgw::gateway
