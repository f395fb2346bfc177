#include "policies/target.h"

#include <gtest/gtest.h>

#include "policies/dsn_rules.h"

namespace mcpgw::policies {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

// A copy, not a reference: tests call it on temporary decisions
// (`const auto& r = RefusalOf(ResolveTarget(...))`), whose lifetime a
// reference into them would not extend (ASan: stack-use-after-scope).
Refusal RefusalOf(const TargetDecision& decision) {
  return std::get<Refusal>(decision);
}

TEST(ResolveTarget, MissingHeaderIs401NamingTheHeader) {
  auto decision = ResolveTarget({}, kSecret);
  ASSERT_TRUE(std::holds_alternative<Refusal>(decision));
  EXPECT_EQ(RefusalOf(decision).http_status, 401);
  EXPECT_EQ(RefusalOf(decision).rpc_code, rpc_code::kMissingCredentials);
  EXPECT_NE(RefusalOf(decision).message.find("X-DBHub-DSN"), std::string::npos);
}

TEST(ResolveTarget, BlankHeaderCountsAsMissing) {
  RequestCredentials credentials;
  credentials.dsn_header = "   ";
  credentials.dsn_header_count = 1;
  EXPECT_EQ(RefusalOf(ResolveTarget(credentials, kSecret)).http_status, 401);
}

TEST(ResolveTarget, DsnInQueryIsRefusedEvenWithAHeader) {
  RequestCredentials credentials;
  credentials.dsn_header = "sqlite:///x.db";
  credentials.dsn_header_count = 1;
  for (std::string_view query :
       {"dsn=postgres://u:p@h/db", "DSN=x", "other=1&x=mysql://u:p@h/d"}) {
    credentials.query = query;
    auto decision = ResolveTarget(credentials, kSecret);
    ASSERT_TRUE(std::holds_alternative<Refusal>(decision)) << query;
    EXPECT_EQ(RefusalOf(decision).http_status, 400) << query;
  }
  credentials.query = "page=2";
  EXPECT_TRUE(std::holds_alternative<Target>(ResolveTarget(credentials, kSecret)));
}

TEST(ResolveTarget, TwoDsnHeadersAreAmbiguous) {
  RequestCredentials credentials;
  credentials.dsn_header = "sqlite:///x.db";
  credentials.dsn_header_count = 2;
  EXPECT_EQ(RefusalOf(ResolveTarget(credentials, kSecret)).http_status, 400);
}

TEST(ResolveTarget, BadDsnIs400WithoutThePassword) {
  RequestCredentials credentials;
  credentials.dsn_header = "bogus://u:topsecret@h/db";
  credentials.dsn_header_count = 1;
  const auto& refusal = RefusalOf(ResolveTarget(credentials, kSecret));
  EXPECT_EQ(refusal.http_status, 400);
  EXPECT_EQ(refusal.rpc_code, rpc_code::kBadTarget);
  EXPECT_EQ(refusal.message.find("topsecret"), std::string::npos);
}

TEST(ResolveTarget, SameDatabaseSameKeyOtherPasswordOtherKey) {
  RequestCredentials a;
  a.dsn_header = "postgres://u:p@HOST/db";
  a.dsn_header_count = 1;
  RequestCredentials b = a;
  b.dsn_header = "postgres://u:p@host:5432/db";
  RequestCredentials c = a;
  c.dsn_header = "postgres://u:wrong@host:5432/db";
  const auto key_a = std::get<Target>(ResolveTarget(a, kSecret)).key;
  EXPECT_EQ(key_a, std::get<Target>(ResolveTarget(b, kSecret)).key);
  EXPECT_NE(key_a, std::get<Target>(ResolveTarget(c, kSecret)).key);
}

}  // namespace
}  // namespace mcpgw::policies

namespace mcpgw::policies {
namespace {

class OneTenant final : public TenantDirectory {
 public:
  std::optional<TenantView> FindByToken(std::string_view token) const override {
    if (token != "mgw_good") return std::nullopt;
    TenantView view{"acme", 3, {}, {}};
    view.sources.push_back({"sales", *ParseDsn("postgres://u:s3cret@db/sales")});
    return view;
  }
};

RequestCredentials WithBearer(std::string_view header) {
  RequestCredentials credentials;
  credentials.authorization = header;
  credentials.authorization_count = 1;
  return credentials;
}

TEST(ResolveTenant, TokenResolvesToItsTenantKeyedByRevision) {
  OneTenant tenants;
  TargetPolicy policy{.tenants = &tenants};
  auto decision = ResolveTarget(WithBearer("Bearer mgw_good"), kSecret, policy);
  ASSERT_TRUE(std::holds_alternative<Target>(decision));
  const auto& target = std::get<Target>(decision);
  ASSERT_TRUE(target.tenant.has_value());
  EXPECT_EQ(target.tenant->id, "acme");
  EXPECT_EQ(target.key, TenantInstanceKey(kSecret, "acme", 3));
  EXPECT_NE(target.key, TenantInstanceKey(kSecret, "acme", 4));
  EXPECT_EQ(target.dsn.redacted.find("s3cret"), std::string::npos);
  EXPECT_FALSE(target.dsn.secrets.empty());
}

TEST(ResolveTenant, UnknownTokenIs401) {
  OneTenant tenants;
  TargetPolicy policy{.tenants = &tenants};
  const auto& refusal =
      RefusalOf(ResolveTarget(WithBearer("Bearer mgw_bad"), kSecret, policy));
  EXPECT_EQ(refusal.http_status, 401);
  EXPECT_EQ(refusal.rpc_code, rpc_code::kUnauthorized);
  EXPECT_EQ(refusal.message.find("mgw_bad"), std::string::npos);
}

TEST(ResolveTenant, TokenAndDsnTogetherAreRefused) {
  OneTenant tenants;
  TargetPolicy policy{.tenants = &tenants};
  auto credentials = WithBearer("Bearer mgw_good");
  credentials.dsn_header = "sqlite:///x.db";
  credentials.dsn_header_count = 1;
  const auto& refusal = RefusalOf(ResolveTarget(credentials, kSecret, policy));
  EXPECT_EQ(refusal.http_status, 400);
  EXPECT_NE(refusal.message.find("not both"), std::string::npos);
}

TEST(ResolveTenant, NeitherIs401NamingBoth) {
  const auto& refusal = RefusalOf(ResolveTarget({}, kSecret, TargetPolicy{}));
  EXPECT_EQ(refusal.http_status, 401);
  EXPECT_NE(refusal.message.find("Bearer"), std::string::npos);
  EXPECT_NE(refusal.message.find("X-DBHub-DSN"), std::string::npos);
}

TEST(ResolveTenant, NonBearerAuthorizationIs401) {
  EXPECT_EQ(RefusalOf(ResolveTarget(WithBearer("Basic dTpw"), kSecret,
                                    TargetPolicy{}))
                .http_status,
            401);
}

TEST(DsnRequests, CanBeSwitchedOff) {
  RequestCredentials credentials;
  credentials.dsn_header = "sqlite:///x.db";
  credentials.dsn_header_count = 1;
  const auto& refusal = RefusalOf(
      ResolveTarget(credentials, kSecret, {.allow_dsn_requests = false}));
  EXPECT_EQ(refusal.http_status, 403);
  EXPECT_NE(refusal.message.find("allow-dsn-requests"), std::string::npos);
}

TEST(DsnRequests, ApiKeyIsRequiredWhenSet) {
  RequestCredentials credentials;
  credentials.dsn_header = "sqlite:///x.db";
  credentials.dsn_header_count = 1;
  const TargetPolicy policy{.dsn_api_key = "k3y-0123456789"};
  EXPECT_EQ(RefusalOf(ResolveTarget(credentials, kSecret, policy)).http_status,
            401);
  credentials.authorization = "Bearer k3y-0123456789";
  credentials.authorization_count = 1;
  EXPECT_TRUE(
      std::holds_alternative<Target>(ResolveTarget(credentials, kSecret, policy)));
  credentials.authorization = "Bearer wrong";
  EXPECT_EQ(RefusalOf(ResolveTarget(credentials, kSecret, policy)).http_status,
            400);
}

TEST(DsnRequests, MetadataHostIsRefusedBeforeAnything) {
  RequestCredentials credentials;
  credentials.dsn_header = "postgres://u:pw@169.254.169.254/db";
  credentials.dsn_header_count = 1;
  const auto& refusal = RefusalOf(ResolveTarget(credentials, kSecret));
  EXPECT_EQ(refusal.http_status, 403);
  EXPECT_EQ(refusal.message.find("pw"), std::string::npos);
}

// The parse of a DSN is cached (resolved_dsn_cache.h); the rules are not:
// the same DSN text, allowed once, is refused under stricter rules.
TEST(DsnRequests, RulesApplyToARepeatedDsn) {
  RequestCredentials credentials;
  credentials.dsn_header = "postgres://u:p@db.rules-test.example:5432/app";
  credentials.dsn_header_count = 1;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_TRUE(std::holds_alternative<Target>(ResolveTarget(credentials, kSecret)));
  }
  auto strict = DsnPolicy::Create({.deny_hosts = {"db.rules-test.example"}});
  ASSERT_TRUE(strict.ok()) << strict.status();
  TargetPolicy policy;
  policy.dsn_rules = &*strict;
  const auto decision = ResolveTarget(credentials, kSecret, policy);
  ASSERT_TRUE(std::holds_alternative<Refusal>(decision));
  EXPECT_EQ(RefusalOf(decision).http_status, 403);
  EXPECT_TRUE(std::holds_alternative<Target>(ResolveTarget(credentials, kSecret)));
}

// The OAuth listener's decisions. The verifier is a stand-in (its real
// checks are access_token_test.cc and tests/sdk/oauth.test.mjs): tokens
// "alice", "bob" (tenant acme), "carol" (tenant initech, unknown), anything
// else refused.
class NamedTokens final : public AccessTokenVerifier {
 public:
  std::variant<OAuthIdentity, Refusal> Verify(std::string_view token,
                                              std::string_view) const override {
    if (token == "alice" || token == "bob") {
      return OAuthIdentity{"https://idp", std::string(token), "acme", {"mcp"}};
    }
    if (token == "carol") return OAuthIdentity{"https://idp", "carol", "initech", {}};
    return Refusal{401, rpc_code::kUnauthorized, "bad token", "invalid_token"};
  }
};

class TenantsById final : public TenantDirectory {
 public:
  std::optional<TenantView> FindByToken(std::string_view) const override {
    return std::nullopt;
  }
  std::optional<TenantView> FindById(std::string_view id) const override {
    if (id != "acme") return std::nullopt;
    TenantView view{"acme", 3, {}, {}};
    view.options.oauth_scope = scope;
    view.sources.push_back({"sales", *ParseDsn("postgres://u:s3cret@db/sales")});
    return view;
  }
  std::optional<std::string> scope;
};

TEST(ResolveOAuth, TokenNamesTheTenantAndSessionsBelongToTheSubject) {
  NamedTokens verifier;
  TenantsById tenants;
  TargetPolicy policy{.tenants = &tenants, .oauth = &verifier};
  auto alice = ResolveTarget(WithBearer("Bearer alice"), kSecret, policy);
  auto bob = ResolveTarget(WithBearer("Bearer bob"), kSecret, policy);
  ASSERT_TRUE(std::holds_alternative<Target>(alice));
  ASSERT_TRUE(std::holds_alternative<Target>(bob));
  // One instance for the tenant, one session binding per subject.
  EXPECT_EQ(std::get<Target>(alice).key, TenantInstanceKey(kSecret, "acme", 3));
  EXPECT_EQ(std::get<Target>(alice).key, std::get<Target>(bob).key);
  EXPECT_NE(std::get<Target>(alice).SessionKey(), std::get<Target>(bob).SessionKey());
  EXPECT_NE(std::get<Target>(alice).SessionKey(), std::get<Target>(alice).key);
}

TEST(ResolveOAuth, NoDsnHeaderNoTenantTokenNoUnknownTenant) {
  NamedTokens verifier;
  TenantsById tenants;
  TargetPolicy policy{.tenants = &tenants, .oauth = &verifier};
  RequestCredentials dsn_only;
  dsn_only.dsn_header = "sqlite:///x.db";
  dsn_only.dsn_header_count = 1;
  auto refusal = RefusalOf(ResolveTarget(dsn_only, kSecret, policy));
  EXPECT_EQ(refusal.http_status, 401);
  EXPECT_TRUE(refusal.oauth_error.empty());  // no token sent: no error code
  auto both = WithBearer("Bearer alice");
  both.dsn_header = "sqlite:///x.db";
  both.dsn_header_count = 1;
  EXPECT_EQ(RefusalOf(ResolveTarget(both, kSecret, policy)).http_status, 400);
  EXPECT_EQ(RefusalOf(ResolveTarget(WithBearer("Bearer mgw_tenant"), kSecret, policy)).oauth_error,
            "invalid_token");
  EXPECT_EQ(RefusalOf(ResolveTarget(WithBearer("Basic eDp5"), kSecret, policy)).oauth_error,
            "invalid_request");
  EXPECT_EQ(RefusalOf(ResolveTarget(WithBearer("Bearer carol"), kSecret, policy)).http_status, 403);
}

TEST(ResolveOAuth, TenantScopeIsRequired) {
  NamedTokens verifier;
  TenantsById tenants;
  tenants.scope = "db:acme";
  TargetPolicy policy{.tenants = &tenants, .oauth = &verifier};
  auto refusal = RefusalOf(ResolveTarget(WithBearer("Bearer alice"), kSecret, policy));
  EXPECT_EQ(refusal.http_status, 403);
  EXPECT_EQ(refusal.oauth_error, "insufficient_scope");
  EXPECT_EQ(refusal.oauth_scope, "db:acme");
}

}  // namespace
}  // namespace mcpgw::policies
