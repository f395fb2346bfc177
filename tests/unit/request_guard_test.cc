#include "gateway/http/request_guard.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

policies::Target DsnTarget() {
  policies::Target target;
  target.key = "k";
  target.dsn = *policies::ParseDsn("postgres://u:pw@db/x");
  return target;
}

TEST(LaunchRequest, PlainDsnNeedsNoConfig) {
  const auto request = RequestGuard::LaunchRequest(DsnTarget(), {});
  EXPECT_EQ(request.dsn, "postgres://u:pw@db/x");
  EXPECT_TRUE(request.dbhub_config.empty());
  EXPECT_TRUE(request.secret_env.empty());
}

TEST(LaunchRequest, GatewayReadonlyGoesThroughTheConfig) {
  const auto request = RequestGuard::LaunchRequest(
      DsnTarget(), {.readonly = true, .max_rows = 10});
  EXPECT_EQ(request.dsn, "postgres://u:pw@db/x");
  EXPECT_NE(request.dbhub_config.find("${DSN}"), std::string::npos);
  EXPECT_NE(request.dbhub_config.find("readonly = true"), std::string::npos);
  EXPECT_EQ(request.dbhub_config.find("pw"), std::string::npos);
}

TEST(LaunchRequest, TenantSourcesGoByEnvironmentOnly) {
  policies::Target target;
  target.key = "t";
  policies::TenantView tenant{"acme", 2, {}, {}};
  tenant.options.readonly = true;
  tenant.options.idle_timeout = std::chrono::milliseconds(1234);
  tenant.sources.push_back({"sales", *policies::ParseDsn("postgres://u:s3cret@db/sales")});
  tenant.sources.push_back({"files", *policies::ParseDsn("sqlite:///tmp/f.db")});
  target.tenant = tenant;
  const auto request = RequestGuard::LaunchRequest(target, {});
  EXPECT_TRUE(request.dsn.empty());
  EXPECT_EQ(request.dbhub_config.find("s3cret"), std::string::npos);
  EXPECT_NE(request.dbhub_config.find("${MCPGW_SOURCE_0_DSN}"), std::string::npos);
  EXPECT_NE(request.dbhub_config.find("id = \"files\""), std::string::npos);
  ASSERT_EQ(request.secret_env.size(), 2u);
  EXPECT_EQ(request.secret_env[0], "MCPGW_SOURCE_0_DSN=postgres://u:s3cret@db/sales");
  EXPECT_EQ(request.idle_timeout, std::chrono::milliseconds(1234));
}

}  // namespace
}  // namespace mcpgw::gateway
