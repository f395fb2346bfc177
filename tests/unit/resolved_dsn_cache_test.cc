#include "policies/resolved_dsn_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "policies/instance_key.h"

namespace mcpgw::policies {
namespace {

constexpr std::string_view kDsn = "postgres://user:s3cret@db.example:5432/app";

TEST(ResolvedDsnCache, SecondResolveIsAHitWithTheSameResult) {
  ResolvedDsnCache cache(8);
  const auto first = cache.Resolve(kDsn, "secret-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(cache.size(), 1u);
  const auto second = cache.Resolve(kDsn, "secret-1");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(cache.size(), 1u);
  const auto parsed = ParseDsn(kDsn);
  ASSERT_TRUE(parsed.ok());
  for (const auto* resolved : {&*first, &*second}) {
    EXPECT_EQ(resolved->key, DeriveInstanceKey("secret-1", parsed->canonical));
    EXPECT_EQ(resolved->dsn.original, parsed->original);
    EXPECT_EQ(resolved->dsn.canonical, parsed->canonical);
    EXPECT_EQ(resolved->dsn.redacted, parsed->redacted);
    EXPECT_EQ(resolved->dsn.secrets, parsed->secrets);
  }
}

TEST(ResolvedDsnCache, AnotherSecretGetsItsOwnKey) {
  ResolvedDsnCache cache(8);
  const auto one = cache.Resolve(kDsn, "secret-1");
  const auto two = cache.Resolve(kDsn, "secret-2");
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(two.ok());
  EXPECT_NE(one->key, two->key);
  EXPECT_EQ(two->key, DeriveInstanceKey("secret-2", two->dsn.canonical));
  EXPECT_EQ(cache.Resolve(kDsn, "secret-1")->key, one->key);
}

TEST(ResolvedDsnCache, ErrorsAndLongTextsAreNotKept) {
  ResolvedDsnCache cache(8);
  EXPECT_FALSE(cache.Resolve("not a dsn", "secret").ok());
  EXPECT_FALSE(cache.Resolve("not a dsn", "secret").ok());
  EXPECT_EQ(cache.size(), 0u);
  const std::string long_dsn =
      "postgres://user:pw@db.example:5432/app?application_name=" +
      std::string(ResolvedDsnCache::kMaxCachedTextLength, 'a');
  ASSERT_TRUE(cache.Resolve(long_dsn, "secret").ok());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ResolvedDsnCache, IsBounded) {
  ResolvedDsnCache cache(3);
  for (int i = 0; i < 10; ++i) {
    const std::string dsn =
        "postgres://user:pw@db" + std::to_string(i) + ".example/app";
    ASSERT_TRUE(cache.Resolve(dsn, "secret").ok());
  }
  EXPECT_EQ(cache.size(), 3u);
  // An evicted DSN resolves again, to the same key.
  const auto again = cache.Resolve("postgres://user:pw@db0.example/app", "secret");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->key, DeriveInstanceKey("secret", again->dsn.canonical));
}

}  // namespace
}  // namespace mcpgw::policies
