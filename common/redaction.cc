#include "common/redaction.h"

#include <algorithm>

namespace mcpgw::common {
namespace {

constexpr std::string_view kSchemeSeparator = "://";

bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// Characters that end a URL authority in free text.
bool EndsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' ||
         c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' ||
         c == '>';
}

}  // namespace

std::string RedactUrlCredentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t sep = text.find(kSchemeSeparator, pos);
    if (sep == std::string_view::npos || sep == 0 ||
        !IsSchemeChar(text[sep - 1])) {
      const std::size_t stop =
          sep == std::string_view::npos ? text.size()
                                        : sep + kSchemeSeparator.size();
      out.append(text.substr(pos, stop - pos));
      pos = stop;
      continue;
    }
    const std::size_t auth_begin = sep + kSchemeSeparator.size();
    std::size_t auth_end = auth_begin;
    while (auth_end < text.size() && !EndsAuthority(text[auth_end])) ++auth_end;
    const std::string_view authority =
        text.substr(auth_begin, auth_end - auth_begin);
    // The password ends at the last '@' of the authority: an unencoded '@'
    // inside a password must not leave its tail visible.
    const std::size_t at = authority.rfind('@');
    const std::size_t colon =
        at == std::string_view::npos ? std::string_view::npos
                                     : authority.substr(0, at).find(':');
    out.append(text.substr(pos, auth_begin - pos));
    if (colon != std::string_view::npos) {
      out.append(authority.substr(0, colon + 1));
      out.append("***");
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    pos = auth_end;
  }
  return out;
}

bool MayHoldUrlCredentials(std::string_view text) {
  return text.find(kSchemeSeparator) != std::string_view::npos;
}

Redactor::Redactor(std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {
  std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
}

std::string Redactor::Apply(std::string_view text) const {
  std::string out = RedactUrlCredentials(text);
  for (const auto& secret : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace mcpgw::common
