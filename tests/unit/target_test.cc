#include "policies/target.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

const Refusal& RefusalOf(const TargetDecision& decision) {
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
