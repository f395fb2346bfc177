#include "policies/origin.h"

#include <algorithm>

#include <boost/url/parse.hpp>

#include "common/text.h"

namespace mcpgw::policies {
namespace {

// Client-supplied text quoted in an error, bounded.
constexpr std::size_t kMaxQuoted = 100;

std::string Quote(std::string_view value) {
  return text::Cat("'", value.substr(0, kMaxQuoted),
                   value.size() > kMaxQuoted ? "…" : "", "'");
}

// "Host" as host and port; brackets stay on IPv6 literals. nullopt when it
// is not host[:port].
struct HostPort {
  std::string host;  // lower case
  std::string port;  // empty when absent
};
std::optional<HostPort> SplitHost(std::string_view value) {
  value = text::StripWhitespace(value);
  if (value.empty()) return std::nullopt;
  std::string_view host = value;
  std::string_view port;
  if (value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = value.substr(0, close + 1);
    const auto rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const auto colon = value.rfind(':');
             colon != std::string_view::npos) {
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  if (host.empty() || !std::all_of(port.begin(), port.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return std::nullopt;
  }
  return HostPort{text::Lower(host), std::string(port)};
}

bool IsLoopbackName(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

bool Listed(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& entry) {
    return entry == "*" || text::EqualsIgnoreCase(entry, value);
  });
}

// scheme://host[:port] of an Origin with the default port spelled out, so
// that "http://a" and "http://a:80" compare equal; nullopt if unparsable.
struct OriginParts {
  std::string scheme;
  HostPort host;
};
std::optional<OriginParts> ParseOrigin(std::string_view origin) {
  auto url = boost::urls::parse_absolute_uri(origin);
  if (!url || !url->has_authority() || url->host().empty()) return std::nullopt;
  OriginParts parts;
  parts.scheme = text::Lower(url->scheme());
  auto host = SplitHost(url->encoded_host_and_port());
  if (!host) return std::nullopt;
  parts.host = *host;
  if (parts.host.port.empty()) {
    parts.host.port = parts.scheme == "https" ? "443" : "80";
  }
  return parts;
}

}  // namespace

std::optional<Refusal> CheckHostAndOrigin(std::optional<std::string_view> host,
                                          std::optional<std::string_view> origin,
                                          const OriginPolicy& policy) {
  const auto request_host = host ? SplitHost(*host) : std::nullopt;
  if (!request_host) {
    return Refusal{400, rpc_code::kInvalidRequest,
                   "the request has no valid Host header"};
  }
  if (!IsLoopbackName(request_host->host) &&
      !Listed(policy.allowed_hosts, request_host->host) &&
      !Listed(policy.allowed_hosts, text::StripWhitespace(*host))) {
    return Refusal{403, rpc_code::kForbidden,
                   text::Cat("Host ", Quote(*host),
                             " is not allowed (protection against DNS "
                             "rebinding); allow it with --allowed-hosts")};
  }
  if (!origin) return std::nullopt;
  if (Listed(policy.allowed_origins, text::StripWhitespace(*origin))) {
    return std::nullopt;
  }
  const auto parts = ParseOrigin(text::StripWhitespace(*origin));
  // Same host: the page was served by this very host and port.
  if (parts && parts->host.host == request_host->host) {
    const std::string request_port =
        request_host->port.empty() ? (parts->scheme == "https" ? "443" : "80")
                                   : request_host->port;
    if (parts->host.port == request_port) return std::nullopt;
  }
  return Refusal{403, rpc_code::kForbidden,
                 text::Cat("Origin ", Quote(*origin),
                           " is not allowed; allow it with --allowed-origins")};
}

}  // namespace mcpgw::policies
