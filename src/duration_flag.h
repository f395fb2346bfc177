#pragma once
// Durations on the command line: "300s", "5m", "1.5s", "250ms"; a bare
// number is seconds.

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mcpgw {

absl::StatusOr<std::chrono::milliseconds> ParsePositiveDuration(
    std::string_view flag, std::string text);

// Whole seconds, at least one.
std::chrono::seconds CeilSeconds(std::chrono::milliseconds duration);

}  // namespace mcpgw
