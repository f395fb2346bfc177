#pragma once
// Small string helpers on std::string_view. (Debian's abseil has its own
// absl::string_view, so absl/strings does not take std::string_view here.)
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace mcpgw::loadtest {

inline std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

inline std::string LowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace mcpgw::loadtest
