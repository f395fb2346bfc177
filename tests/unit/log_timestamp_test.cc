// A log line's time, written by hand, must read exactly as the formats it
// replaced: spdlog's "%Y-%m-%dT%H:%M:%S.%e%z" (local time) for text lines,
// absl's "%Y-%m-%dT%H:%M:%E3SZ" (UTC) for JSON lines.

#include "gateway/observability/log_timestamp.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mcpgw::logs {
namespace {

using Clock = std::chrono::system_clock;

std::string SpdlogLocal(Clock::time_point time) {
  spdlog::pattern_formatter formatter("%Y-%m-%dT%H:%M:%S.%e%z",
                                      spdlog::pattern_time_type::local, "");
  spdlog::details::log_msg msg("test", spdlog::level::info, "x");
  msg.time = time;
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  return std::string(out.data(), out.size());
}

std::string AbslUtc(Clock::time_point time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time),
                          absl::UTCTimeZone());
}

std::string Written(LogTimestamp& stamp, Clock::time_point time) {
  std::string out;
  stamp.Append(out, time);
  return out;
}

// Sets TZ for the test's life; spdlog and localtime_r both read it.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) previous_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (previous_) {
      setenv("TZ", previous_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> previous_;
};

std::vector<Clock::time_point> Samples() {
  using std::chrono::milliseconds;
  const Clock::time_point base{milliseconds(1'765'000'000'000)};
  return {base,
          base + milliseconds(7),
          base + milliseconds(999),
          base + milliseconds(1000),  // the next second, from the cache
          base + milliseconds(1001),
          base + milliseconds(90 * 60 * 1000 + 42),
          Clock::time_point{milliseconds(1'751'328'000'123)},  // summer
          base - milliseconds(86'400'000),  // an earlier second again
          Clock::now()};
}

TEST(LogTimestampTest, LocalTimeReadsAsSpdlogPattern) {
  for (const char* zone : {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3",
                           "IST-5:30", "EST5EDT,M3.2.0,M11.1.0"}) {
    ScopedTimeZone scoped(zone);
    LogTimestamp stamp(LogTimestamp::Zone::kLocal);
    for (const auto time : Samples()) {
      EXPECT_EQ(Written(stamp, time), SpdlogLocal(time)) << zone;
    }
  }
}

TEST(LogTimestampTest, UtcReadsAsAbslFormat) {
  ScopedTimeZone scoped("IST-5:30");  // the local zone must not matter
  LogTimestamp stamp(LogTimestamp::Zone::kUtc);
  for (const auto time : Samples()) {
    EXPECT_EQ(Written(stamp, time), AbslUtc(time));
  }
}

TEST(LogTimestampTest, AppendsAfterWhatIsThere) {
  LogTimestamp stamp(LogTimestamp::Zone::kUtc);
  std::string line = "{\"time\":\"";
  stamp.Append(line, Clock::time_point{std::chrono::milliseconds(5)});
  EXPECT_EQ(line, "{\"time\":\"1970-01-01T00:00:00.005Z");
}

}  // namespace
}  // namespace mcpgw::logs
