// The admin API's view of a tenant: what it must never show.
#include "gateway/admin/tenant_json.h"

#include <gtest/gtest.h>

#include "policies/dsn.h"

namespace mcpgw::gateway {
namespace {

TEST(TenantJson, ShowsSourcesRedactedAndTokensWithoutHashes) {
  policies::TenantRecord tenant;
  tenant.id = "acme";
  tenant.revision = 3;
  auto dsn = policies::ParseDsn("postgres://alice:hunter2@db.example:5432/sales");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  tenant.sources.push_back({"sales", *dsn});
  tenant.tokens.push_back({"t1", "ci", "2026-12-01T00:00:00Z", std::nullopt});
  tenant.tokens.push_back({"t2", "old", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"});

  const auto json = TenantToJson(tenant);
  const std::string text = json.dump();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(json["id"], "acme");
  EXPECT_EQ(json["revision"], 3);
  ASSERT_EQ(json["sources"].size(), 1u);
  EXPECT_EQ(json["sources"][0]["scheme"], "postgres");
  EXPECT_NE(json["sources"][0]["dsn"].get<std::string>().find("db.example"), std::string::npos);
  ASSERT_EQ(json["tokens"].size(), 2u);
  EXPECT_TRUE(json["tokens"][0]["revoked_at"].is_null());
  EXPECT_EQ(json["tokens"][1]["revoked_at"], "2026-11-02T00:00:00Z");
  for (const auto& token : json["tokens"]) {
    EXPECT_FALSE(token.contains("hash"));
    EXPECT_FALSE(token.contains("token"));
  }
}

}  // namespace
}  // namespace mcpgw::gateway
