// The issuer's key cache: discovery, refetch on an unknown kid (rate
// limited), stale keys kept while the provider fails. The provider is a
// function here (the narrow place where its answers and failures are
// injected); the real one is tests/sdk/oauth.test.mjs's oidc-provider.
#include "gateway/auth/oidc_issuer.h"

#include <gtest/gtest.h>

#include <map>

#include "common/manual_clock.h"

namespace mcpgw::gateway {
namespace {

using namespace std::chrono_literals;

constexpr char kIssuer[] = "https://idp.example/realms/acme";

std::string Jwks(std::string kid) {
  return nlohmann::json{{"keys", {{{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", kid},
                                   {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}}}}
      .dump();
}

struct FakeProvider {
  std::map<std::string, absl::StatusOr<std::string>> documents;
  int fetches = 0;
  HttpGetFunction Get() {
    return [this](const std::string& url) -> absl::StatusOr<std::string> {
      ++fetches;
      auto it = documents.find(url);
      if (it == documents.end()) return absl::UnavailableError("404 " + url);
      return it->second;
    };
  }
};

class OidcIssuerTest : public ::testing::Test {
 protected:
  OidcIssuerTest() {
    provider_.documents[std::string(kIssuer) + "/.well-known/openid-configuration"] =
        nlohmann::json{{"issuer", kIssuer}, {"jwks_uri", "https://idp.example/jwks"}}.dump();
    provider_.documents["https://idp.example/jwks"] = Jwks("one");
  }
  OidcIssuer Make() {
    return OidcIssuer(kIssuer, {.min_refetch_interval = 30s, .max_key_age = 600s},
                      provider_.Get(), clock_);
  }
  FakeProvider provider_;
  common::ManualClock clock_;
};

TEST_F(OidcIssuerTest, RefetchOnUnknownKidIsRateLimited) {
  auto issuer = Make();
  ASSERT_TRUE(issuer.Refresh().ok());
  EXPECT_TRUE(issuer.Keys()->HasKeyId("one"));
  provider_.documents["https://idp.example/jwks"] = Jwks("two");
  // Right after a fetch: not again (a flood of forged kids costs nothing).
  clock_.Advance(1s);
  EXPECT_FALSE(issuer.RefetchForUnknownKey());
  EXPECT_FALSE(issuer.Keys()->HasKeyId("two"));
  clock_.Advance(30s);
  EXPECT_TRUE(issuer.RefetchForUnknownKey());
  EXPECT_TRUE(issuer.Keys()->HasKeyId("two"));
  EXPECT_FALSE(issuer.Keys()->HasKeyId("one"));  // removed at the provider
}

TEST_F(OidcIssuerTest, KeepsTheKeysWhileTheProviderIsDown) {
  auto issuer = Make();
  ASSERT_TRUE(issuer.Refresh().ok());
  provider_.documents["https://idp.example/jwks"] = absl::UnavailableError("down");
  clock_.Advance(1h);  // stale: a fetch is tried, fails, the old keys stay
  const int before = provider_.fetches;
  EXPECT_TRUE(issuer.Keys()->HasKeyId("one"));
  EXPECT_EQ(provider_.fetches, before + 1);
  EXPECT_FALSE(issuer.RefetchForUnknownKey());
  EXPECT_TRUE(issuer.Keys()->HasKeyId("one"));
}

TEST_F(OidcIssuerTest, UnreachableAtStartIsRetriedOnDemand) {
  auto saved = provider_.documents;
  provider_.documents.clear();
  auto issuer = Make();
  EXPECT_FALSE(issuer.Refresh().ok());
  EXPECT_EQ(issuer.Keys()->size(), 0u);
  provider_.documents = saved;
  clock_.Advance(31s);
  EXPECT_TRUE(issuer.Keys()->HasKeyId("one"));
}

// What the I/O threads call: answers from the cache, never a fetch.
TEST_F(OidcIssuerTest, CachedAnswersNeverFetch) {
  auto issuer = Make();
  ASSERT_TRUE(issuer.Refresh().ok());
  const int after_start = provider_.fetches;
  EXPECT_FALSE(issuer.LacksKeyFor("one"));
  EXPECT_FALSE(issuer.LacksKeyFor(""));  // one key: a token without kid is fine
  clock_.Advance(1s);
  EXPECT_FALSE(issuer.LacksKeyFor("two"));  // unknown, but fetched just now
  EXPECT_FALSE(issuer.StaleRefreshDue());
  clock_.Advance(30s);
  EXPECT_TRUE(issuer.LacksKeyFor("two"));  // unknown, and a fetch is allowed
  EXPECT_FALSE(issuer.StaleRefreshDue());
  clock_.Advance(1h);
  EXPECT_TRUE(issuer.StaleRefreshDue());
  EXPECT_TRUE(issuer.CachedKeys()->HasKeyId("one"));  // stale, still served
  EXPECT_EQ(provider_.fetches, after_start);
  // The fetch itself, as the blocking pool runs it.
  provider_.documents["https://idp.example/jwks"] = Jwks("two");
  EXPECT_TRUE(issuer.RefetchForUnknownKey());
  EXPECT_FALSE(issuer.LacksKeyFor("two"));
  EXPECT_FALSE(issuer.StaleRefreshDue());
}

TEST_F(OidcIssuerTest, NoKeysYetIsAKeyToFetch) {
  auto saved = provider_.documents;
  provider_.documents.clear();
  auto issuer = Make();
  EXPECT_FALSE(issuer.Refresh().ok());
  EXPECT_FALSE(issuer.LacksKeyFor("one"));  // the failed attempt was just now
  clock_.Advance(31s);
  EXPECT_TRUE(issuer.LacksKeyFor("one"));
  EXPECT_TRUE(issuer.LacksKeyFor(""));
  EXPECT_TRUE(issuer.StaleRefreshDue());
  provider_.documents = saved;
  EXPECT_TRUE(issuer.RefetchForUnknownKey());
  EXPECT_FALSE(issuer.LacksKeyFor("one"));
}

TEST_F(OidcIssuerTest, DiscoveryNamingAnotherIssuerIsRefused) {
  provider_.documents[std::string(kIssuer) + "/.well-known/openid-configuration"] =
      nlohmann::json{{"issuer", "https://evil.example"}, {"jwks_uri", "https://idp.example/jwks"}}.dump();
  auto issuer = Make();
  auto status = issuer.Refresh();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("evil.example"), std::string::npos);
}

TEST_F(OidcIssuerTest, FallsBackToRfc8414PathInsertion) {
  provider_.documents.erase(std::string(kIssuer) + "/.well-known/openid-configuration");
  provider_.documents["https://idp.example/.well-known/oauth-authorization-server/realms/acme"] =
      nlohmann::json{{"issuer", kIssuer}, {"jwks_uri", "https://idp.example/jwks"}}.dump();
  auto issuer = Make();
  EXPECT_TRUE(issuer.Refresh().ok());
  EXPECT_TRUE(issuer.Keys()->HasKeyId("one"));
}

}  // namespace
}  // namespace mcpgw::gateway
