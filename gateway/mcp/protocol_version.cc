#include "gateway/mcp/protocol_version.h"

#include <algorithm>
#include <array>

namespace mcpgw::gateway {
namespace {

constexpr std::array<std::string_view, 5> kSupported = {
    "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28",
};

// The tail of kSupported from 2026-07-28 on.
constexpr std::size_t kFirstStateless = 4;
static_assert(kSupported[kFirstStateless] == "2026-07-28");

}  // namespace

std::span<const std::string_view> SupportedProtocolVersions() {
  return kSupported;
}

std::span<const std::string_view> StatelessProtocolVersions() {
  return std::span<const std::string_view>(kSupported).subspan(kFirstStateless);
}

std::string SupportedVersionsList() {
  std::string list;
  for (const auto version : kSupported) {
    if (!list.empty()) list += ", ";
    list += version;
  }
  return list;
}

bool IsSupportedProtocolVersion(std::string_view version) {
  return std::find(kSupported.begin(), kSupported.end(), version) !=
         kSupported.end();
}

bool AllowsBatches(std::string_view version) {
  return version == "2024-11-05" || version == "2025-03-26";
}

bool IsStatelessRevision(std::string_view version) {
  // Revisions are dates: every later one is stateless too.
  return version >= std::string_view("2026-07-28");
}

std::string_view EffectiveProtocolVersion(
    std::optional<std::string_view> header, std::string_view session_version) {
  if (header && !header->empty()) return *header;
  if (!session_version.empty()) return session_version;
  return kAssumedProtocolVersion;
}

}  // namespace mcpgw::gateway
