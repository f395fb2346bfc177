#pragma once
// Small text helpers on std::string_view. Debian's abseil is built with its
// own absl::string_view, which std::string_view does not convert to, so its
// string helpers are used only through these.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mcpgw::text {

// For passing a std::string_view to absl::StrCat and friends.
inline absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

template <typename T>
decltype(auto) AbslArg(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return Absl(value);
  } else {
    return (value);
  }
}

// absl::StrCat that also takes std::string_view.
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  return absl::StrCat(AbslArg(parts)...);
}

// ASCII only, whatever the locale (header names, schemes, hosts): a table
// lookup inlined, not a libc call per character.
inline char LowerChar(char c) { return absl::ascii_tolower(static_cast<unsigned char>(c)); }

inline std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), LowerChar);
  return out;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return LowerChar(x) == LowerChar(y); });
}

inline bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

inline bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

inline std::string_view StripWhitespace(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on `separator`, trims each piece, drops empty pieces.
inline std::vector<std::string_view> SplitList(std::string_view s,
                                               char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const auto pos = s.find(separator);
    auto piece = StripWhitespace(s.substr(0, pos));
    if (!piece.empty()) out.push_back(piece);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

}  // namespace mcpgw::text
