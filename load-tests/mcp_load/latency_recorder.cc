#include "mcp_load/latency_recorder.h"

#include <algorithm>
#include <cmath>

namespace mcpgw::loadtest {
namespace {

double ToMs(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Nearest rank: the smallest sample with at least q of all samples at or below it.
std::int64_t Percentile(const std::vector<std::int64_t>& sorted, double q) {
  auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

}  // namespace

void LatencyRecorder::Record(std::chrono::nanoseconds latency) {
  samples_ns_.push_back(std::max<std::int64_t>(latency.count(), 0));
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  samples_ns_.insert(samples_ns_.end(), other.samples_ns_.begin(), other.samples_ns_.end());
}

LatencyRecorder::Summary LatencyRecorder::Summarize() const {
  Summary s;
  if (samples_ns_.empty()) return s;
  std::vector<std::int64_t> sorted = samples_ns_;
  std::sort(sorted.begin(), sorted.end());
  long double sum = 0;
  for (std::int64_t v : sorted) sum += static_cast<long double>(v);
  s.count = sorted.size();
  s.min_ms = ToMs(sorted.front());
  s.max_ms = ToMs(sorted.back());
  s.mean_ms = static_cast<double>(sum / static_cast<long double>(sorted.size())) / 1e6;
  s.p50_ms = ToMs(Percentile(sorted, 0.50));
  s.p90_ms = ToMs(Percentile(sorted, 0.90));
  s.p99_ms = ToMs(Percentile(sorted, 0.99));
  return s;
}

}  // namespace mcpgw::loadtest
