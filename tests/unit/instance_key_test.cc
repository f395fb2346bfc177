#include "policies/instance_key.h"

#include <gtest/gtest.h>

#include "common/random_token.h"

namespace mcpgw::policies {
namespace {

TEST(DeriveInstanceKey, MatchesRfc4231TestCase2) {
  // HMAC-SHA256 with key "Jefe" over "what do ya want for nothing?".
  EXPECT_EQ(DeriveInstanceKey("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(DeriveInstanceKey, DependsOnSecretAndTarget) {
  const auto base = DeriveInstanceKey("secret-a", "postgres://u:p@h:5432/db");
  EXPECT_EQ(base, DeriveInstanceKey("secret-a", "postgres://u:p@h:5432/db"));
  EXPECT_NE(base, DeriveInstanceKey("secret-b", "postgres://u:p@h:5432/db"));
  EXPECT_NE(base, DeriveInstanceKey("secret-a", "postgres://u:q@h:5432/db"));
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(KeyPrefix(base), base.substr(0, 12));
}

TEST(RandomHex, HasTheRightLengthAndDiffers) {
  const auto a = common::RandomHex(32);
  const auto b = common::RandomHex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace mcpgw::policies
