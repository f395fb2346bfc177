#pragma once
// The OAuth listener as an OAuth 2.0 protected resource (RFC 9728, MCP
// authorization): the URL a client addressed, the resource metadata served
// at /.well-known/oauth-protected-resource[/mcp], and the WWW-Authenticate
// challenge of a 401/403 that points clients at it. Pure functions.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/http/http_types.h"
#include "policies/target.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kResourceMetadataPath =
    "/.well-known/oauth-protected-resource";

struct OAuthResource {
  // scheme://host[:port][/prefix] as clients reach the gateway (--public-url);
  // empty: from X-Forwarded-Proto/-Host when trusted, else http://<Host>.
  std::string public_url;
  bool trust_forwarded = false;
  std::vector<std::string> authorization_servers;  // the issuers
  std::vector<std::string> scopes_supported;
  // The scopes every token needs (the challenge's scope=).
  std::vector<std::string> required_scopes;
};

// scheme://host[:port][/prefix] of this request; empty when the Host (or
// forwarded host) is missing or not a plain host name.
std::string RequestBaseUrl(const Request& request, const OAuthResource& config);

// The MCP endpoint's URL: the resource, and the tokens' audience.
std::string McpResourceUrl(std::string_view base_url);
// Where its metadata is: the well-known segment between host and path.
std::string ResourceMetadataUrl(std::string_view base_url);

bool IsResourceMetadataPath(std::string_view path);

nlohmann::json ResourceMetadata(std::string_view base_url,
                                const OAuthResource& config);

// `Bearer resource_metadata="…", scope="…"[, error="…", error_description="…"]`.
std::string BearerChallenge(std::string_view base_url,
                            const OAuthResource& config,
                            const policies::Refusal& refusal);

}  // namespace mcpgw::gateway
