#include "policies/tenant_claim.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

TEST(TenantClaimTest, StringClaim) {
  auto rule = ParseTenantClaimRule("org_id");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(*TenantFromClaims({{"org_id", "acme"}}, *rule), "acme");
  EXPECT_TRUE(absl::IsPermissionDenied(TenantFromClaims({{"sub", "x"}}, *rule).status()));
  EXPECT_FALSE(TenantFromClaims({{"org_id", 7}}, *rule).ok());
  EXPECT_FALSE(TenantFromClaims({{"org_id", ""}}, *rule).ok());
}

TEST(TenantClaimTest, ListEntryWithPrefix) {
  auto rule = ParseTenantClaimRule("groups:/tenant-");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(*TenantFromClaims({{"groups", {"/staff", "/tenant-acme"}}}, *rule), "acme");
  EXPECT_FALSE(TenantFromClaims({{"groups", {"/staff"}}}, *rule).ok());
  // Two tenants in one token: ambiguous, refused.
  auto two = TenantFromClaims({{"groups", {"/tenant-a", "/tenant-b"}}}, *rule);
  EXPECT_TRUE(absl::IsPermissionDenied(two.status()));
  EXPECT_NE(two.status().message().find("several"), std::string::npos);
  EXPECT_FALSE(ParseTenantClaimRule(":x").ok());
}

}  // namespace
}  // namespace mcpgw::policies
