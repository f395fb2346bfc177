#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

namespace mcpgw::loadtest {

// Keeps every sample (8 bytes each: 10 minutes at 10k req/s is 48 MB), so the
// percentiles are exact. Not thread-safe: one recorder per worker, merged at the end.
// An HdrHistogram-style log-bucket recorder can replace it behind the same calls
// if runs ever get much longer.
class LatencyRecorder {
 public:
  struct Summary {
    std::uint64_t count = 0;
    double min_ms = 0;
    double mean_ms = 0;
    double p50_ms = 0;
    double p90_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
  };

  void Record(std::chrono::nanoseconds latency);
  void Merge(const LatencyRecorder& other);
  std::uint64_t count() const { return samples_ns_.size(); }

  // Nearest-rank percentiles; all zero when empty.
  Summary Summarize() const;

 private:
  std::vector<std::int64_t> samples_ns_;
};

}  // namespace mcpgw::loadtest
