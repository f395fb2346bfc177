#include "gateway/auth/protected_resource.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request request{http::verb::post, "/mcp", 11};
  for (const auto& [name, value] : headers) request.set(name, value);
  return request;
}

TEST(ProtectedResourceTest, MetadataUrlInsertsTheWellKnownSegment) {
  EXPECT_EQ(ResourceMetadataUrl("https://gw.example"),
            "https://gw.example/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(ResourceMetadataUrl("https://gw.example/db"),
            "https://gw.example/.well-known/oauth-protected-resource/db/mcp");
  EXPECT_EQ(McpResourceUrl("https://gw.example/db"), "https://gw.example/db/mcp");
  EXPECT_TRUE(IsResourceMetadataPath("/.well-known/oauth-protected-resource"));
  EXPECT_TRUE(IsResourceMetadataPath("/.well-known/oauth-protected-resource/mcp"));
  EXPECT_FALSE(IsResourceMetadataPath("/.well-known/oauth-protected-resourcex"));
}

TEST(ProtectedResourceTest, BaseUrlFromPublicUrlHostOrTrustedForwarding) {
  OAuthResource config;
  auto request = WithHeaders({{"Host", "127.0.0.1:8443"},
                              {"X-Forwarded-Proto", "https"},
                              {"X-Forwarded-Host", "gw.example, inner"}});
  EXPECT_EQ(RequestBaseUrl(request, config), "http://127.0.0.1:8443");
  config.trust_forwarded = true;
  EXPECT_EQ(RequestBaseUrl(request, config), "https://gw.example");
  config.public_url = "https://public.example";
  EXPECT_EQ(RequestBaseUrl(request, config), "https://public.example");
  // A Host that could break out of the quoted challenge is not used.
  EXPECT_EQ(RequestBaseUrl(WithHeaders({{"Host", "a\"b"}}), OAuthResource{}), "");
}

TEST(ProtectedResourceTest, ChallengeCarriesScopeAndError) {
  OAuthResource config;
  config.required_scopes = {"mcp"};
  policies::Refusal missing{401, -1, "no access token"};
  EXPECT_EQ(BearerChallenge("https://gw.example", config, missing),
            "Bearer resource_metadata=\"https://gw.example/.well-known/"
            "oauth-protected-resource/mcp\", scope=\"mcp\"");
  policies::Refusal bad{401, -1, "the token has \"expired\"", "invalid_token"};
  EXPECT_EQ(BearerChallenge("https://gw.example", config, bad),
            "Bearer resource_metadata=\"https://gw.example/.well-known/"
            "oauth-protected-resource/mcp\", scope=\"mcp\", error=\"invalid_token\", "
            "error_description=\"the token has 'expired'\"");
  auto metadata = ResourceMetadata("https://gw.example", config);
  EXPECT_EQ(metadata["resource"], "https://gw.example/mcp");
}

}  // namespace
}  // namespace mcpgw::gateway
