#include "gateway/observability/log_timestamp.h"

#include <cstdio>
#include <cstdlib>

namespace mcpgw::logs {
namespace {

// "+HH:MM" of a local time's offset from UTC, as spdlog's %z writes it.
std::string OffsetText(const std::tm& local) {
  long minutes = local.tm_gmtoff / 60;
  const char sign = minutes < 0 ? '-' : '+';
  minutes = std::labs(minutes);
  char text[48];
  std::snprintf(text, sizeof(text), "%c%02ld:%02ld", sign, minutes / 60,
                minutes % 60);
  return text;
}

}  // namespace

void LogTimestamp::Append(std::string& out,
                          std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch -
                                                            seconds)
          .count();
  std::time_t second = static_cast<std::time_t>(seconds.count());
  if (millis < 0) {  // before 1970: the second below, not toward zero
    millis += 1000;
    second -= 1;
  }
  if (second != cached_second_) {
    std::tm parts{};
    if (zone_ == Zone::kLocal) {
      localtime_r(&second, &parts);
      zone_text_ = OffsetText(parts);
    } else {
      gmtime_r(&second, &parts);
      zone_text_ = "Z";
    }
    char text[96];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                  parts.tm_hour, parts.tm_min, parts.tm_sec);
    date_time_ = text;
    cached_second_ = second;
  }
  out.append(date_time_);
  const char fraction[4] = {'.', static_cast<char>('0' + millis / 100),
                            static_cast<char>('0' + millis / 10 % 10),
                            static_cast<char>('0' + millis % 10)};
  out.append(fraction, sizeof(fraction));
  out.append(zone_text_);
}

}  // namespace mcpgw::logs
