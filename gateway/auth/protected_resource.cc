#include "gateway/auth/protected_resource.h"

#include <algorithm>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

// The first of a comma-separated list (proxies append).
std::string_view FirstValue(std::string_view value) {
  return text::StripWhitespace(value.substr(0, value.find(',')));
}

// A host[:port] that can go into a URL and a quoted header parameter as is.
bool PlainHost(std::string_view host) {
  return !host.empty() && host.size() <= 255 &&
         std::all_of(host.begin(), host.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  c == ':' || c == '[' || c == ']';
         });
}

// Quoted-string content: no quote or backslash, no control characters.
std::string Quotable(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\'');
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out.push_back(c);
    }
  }
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) out += out.empty() ? scope : " " + scope;
  return out;
}

}  // namespace

std::string RequestBaseUrl(const Request& request, const OAuthResource& config) {
  if (!config.public_url.empty()) return config.public_url;
  std::string_view scheme = "http";
  std::optional<std::string_view> host = FindHeader(request, "Host");
  if (config.trust_forwarded) {
    if (auto proto = FindHeader(request, "X-Forwarded-Proto")) {
      const auto first = FirstValue(*proto);
      if (first == "https" || first == "http") scheme = first;
    }
    if (auto forwarded = FindHeader(request, "X-Forwarded-Host")) {
      host = FirstValue(*forwarded);
    }
  }
  if (!host || !PlainHost(*host)) return {};
  return text::Cat(scheme, "://", *host);
}

std::string McpResourceUrl(std::string_view base_url) {
  return text::Cat(base_url, "/mcp");
}

std::string ResourceMetadataUrl(std::string_view base_url) {
  const auto scheme = base_url.find("://");
  const auto path = scheme == std::string_view::npos
                        ? std::string_view::npos
                        : base_url.find('/', scheme + 3);
  const std::string_view origin = base_url.substr(0, path);
  const std::string_view prefix =
      path == std::string_view::npos ? std::string_view() : base_url.substr(path);
  return text::Cat(origin, kResourceMetadataPath, prefix, "/mcp");
}

bool IsResourceMetadataPath(std::string_view path) {
  return path.substr(0, kResourceMetadataPath.size()) == kResourceMetadataPath &&
         (path.size() == kResourceMetadataPath.size() ||
          path[kResourceMetadataPath.size()] == '/');
}

nlohmann::json ResourceMetadata(std::string_view base_url,
                                const OAuthResource& config) {
  return {
      {"resource", McpResourceUrl(base_url)},
      {"authorization_servers", config.authorization_servers},
      {"scopes_supported", config.scopes_supported},
      {"bearer_methods_supported", {"header"}},
      {"resource_name", "mcp-gateway (DBHub per tenant)"},
  };
}

std::string BearerChallenge(std::string_view base_url,
                            const OAuthResource& config,
                            const policies::Refusal& refusal) {
  std::string challenge = text::Cat("Bearer resource_metadata=\"",
                                    ResourceMetadataUrl(base_url), "\"");
  std::string scope = !refusal.oauth_scope.empty()
                          ? refusal.oauth_scope
                          : JoinScopes(!config.required_scopes.empty()
                                           ? config.required_scopes
                                           : config.scopes_supported);
  if (!scope.empty()) challenge += text::Cat(", scope=\"", Quotable(scope), "\"");
  if (!refusal.oauth_error.empty()) {
    challenge += text::Cat(", error=\"", refusal.oauth_error,
                           "\", error_description=\"",
                           Quotable(refusal.message), "\"");
  }
  return challenge;
}

}  // namespace mcpgw::gateway
