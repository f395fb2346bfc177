#include "gateway/admin/console_figures.h"

#include <algorithm>

namespace mcpgw::gateway {

LatencyTotals Subtract(const LatencyTotals& later, const LatencyTotals& earlier) {
  LatencyTotals delta = later;
  // Counters only grow; a reading from before a reset counts as none.
  if (earlier.count > later.count ||
      earlier.cumulative.size() != later.cumulative.size()) {
    return delta;
  }
  delta.count -= earlier.count;
  for (std::size_t i = 0; i < delta.cumulative.size(); ++i) {
    delta.cumulative[i] -= std::min(delta.cumulative[i], earlier.cumulative[i]);
  }
  return delta;
}

std::optional<double> QuantileMs(const LatencyTotals& totals, double quantile) {
  if (totals.count == 0 || totals.upper_bounds.empty()) return std::nullopt;
  const double rank = std::clamp(quantile, 0.0, 1.0) *
                      static_cast<double>(totals.count);
  double lower_bound = 0;
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < totals.cumulative.size(); ++i) {
    const std::uint64_t at_or_under = totals.cumulative[i];
    if (static_cast<double>(at_or_under) >= rank && at_or_under > below) {
      const double share = (rank - static_cast<double>(below)) /
                           static_cast<double>(at_or_under - below);
      const double seconds =
          lower_bound + (totals.upper_bounds[i] - lower_bound) * share;
      return seconds * 1000.0;
    }
    lower_bound = totals.upper_bounds[i];
    below = at_or_under;
  }
  return totals.upper_bounds.back() * 1000.0;
}

nlohmann::json LatencyFigures(const LatencyTotals& window,
                              std::chrono::milliseconds span) {
  auto ms = [&window](double q) {
    const auto value = QuantileMs(window, q);
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  const double seconds =
      std::max<double>(1, static_cast<double>(span.count())) / 1000.0;
  return {{"requests_per_s", static_cast<double>(window.count) / seconds},
          {"p50_ms", ms(0.5)},
          {"p95_ms", ms(0.95)},
          {"p99_ms", ms(0.99)}};
}

}  // namespace mcpgw::gateway
