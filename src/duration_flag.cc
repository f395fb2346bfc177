#include "src/duration_flag.h"

#include <algorithm>

#include "absl/time/time.h"
#include "common/text.h"

namespace mcpgw {

absl::StatusOr<std::chrono::milliseconds> ParsePositiveDuration(
    std::string_view flag, std::string text) {
  absl::Duration duration;
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string::npos) {
    text += "s";
  }
  if (!absl::ParseDuration(text, &duration) ||
      duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(text::Cat(
        "--", flag, "='", text,
        "' is not a positive duration (e.g. 90s, 5m, 250ms)"));
  }
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(duration));
}

std::chrono::seconds CeilSeconds(std::chrono::milliseconds duration) {
  return std::chrono::seconds(std::max<long long>(
      1, std::chrono::ceil<std::chrono::seconds>(duration).count()));
}

}  // namespace mcpgw
