#pragma once
// The time at the start of a log line, written by hand: spdlog's pattern
// formatter ("%Y-%m-%dT%H:%M:%S.%e%z") cost some 1,500 instructions a line
// and absl::FormatTime more, and the access log writes a line a request
// (issue 19). The part that changes once a second is kept between lines.
// Not thread-safe: the sink calls it under its own lock.

#include <chrono>
#include <ctime>
#include <string>

namespace mcpgw::logs {

class LogTimestamp {
 public:
  enum class Zone {
    kLocal,  // local time and its offset: 2026-12-06T11:52:03.123+01:00
    kUtc,    // UTC marked Z:                2026-12-06T10:52:03.123Z
  };
  explicit LogTimestamp(Zone zone) : zone_(zone) {}

  void Append(std::string& out, std::chrono::system_clock::time_point time);

 private:
  const Zone zone_;
  std::time_t cached_second_ = -1;
  std::string date_time_;  // "2026-12-06T11:52:03"
  std::string zone_text_;  // "+01:00" or "Z"
};

}  // namespace mcpgw::logs
