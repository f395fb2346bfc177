#include "policies/dbhub_config.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

TEST(DbhubConfig, SourcesReferToTheEnvironmentOnly) {
  const std::string toml = DbhubConfigToml(
      {{"sales", "MCPGW_SOURCE_0_DSN"}, {"hr", "MCPGW_SOURCE_1_DSN"}}, {});
  EXPECT_NE(toml.find("[[sources]]\nid = \"sales\"\ndsn = \"${MCPGW_SOURCE_0_DSN}\""),
            std::string::npos);
  EXPECT_NE(toml.find("id = \"hr\""), std::string::npos);
  EXPECT_EQ(toml.find("[[tools]]"), std::string::npos);
}

TEST(DbhubConfig, ReadonlyAndMaxRowsGoToExecuteSql) {
  const std::string toml =
      DbhubConfigToml({{"main", "DSN"}}, {.readonly = true, .max_rows = 50});
  EXPECT_NE(toml.find("[[tools]]\nname = \"execute_sql\"\nsource = \"main\"\n"
                      "readonly = true\nmax_rows = 50\n"),
            std::string::npos);
  // Listing any tool for a source disables the others: keep search_objects.
  EXPECT_NE(toml.find("name = \"search_objects\""), std::string::npos);
}

TEST(DbhubConfig, ConnectionFieldsWithCredentialsFromTheEnvironment) {
  SourceConnection shop{.type = "postgres",
                        .host = "db.example",
                        .port = 5432,
                        .database = "sh\"op",
                        .credentials = CredentialsRef{"shop-db", "user", "pw"},
                        .ssl_mode = "require",
                        .connection_timeout_seconds = 10,
                        .query_timeout_seconds = 30,
                        .readonly = {},
                        .max_rows = {}};
  ConfigSource source{"shop", "", shop, "MCPGW_SOURCE_0_USER", "MCPGW_SOURCE_0_PASSWORD",
                      ToolPolicy{.readonly = false, .max_rows = 7}};
  ConfigSource notes{"notes", "", SourceConnection{.type = "sqlite", .database = "/srv/n.db"}};
  const std::string toml = DbhubConfigToml({source, notes}, {.readonly = true});
  EXPECT_NE(toml.find("id = \"shop\"\ntype = \"postgres\"\nhost = \"db.example\"\n"
                      "port = 5432\ndatabase = \"sh\\\"op\"\n"
                      "user = \"${MCPGW_SOURCE_0_USER}\"\n"
                      "password = \"${MCPGW_SOURCE_0_PASSWORD}\"\nsslmode = \"require\"\n"
                      "connection_timeout = 10\nquery_timeout = 30\n"),
            std::string::npos)
      << toml;
  EXPECT_NE(toml.find("id = \"notes\"\ntype = \"sqlite\"\ndatabase = \"/srv/n.db\"\n"),
            std::string::npos)
      << toml;
  EXPECT_EQ(toml.find("dsn ="), std::string::npos);
  // shop's own policy wins; notes has the common one.
  EXPECT_NE(toml.find("source = \"shop\"\nmax_rows = 7\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("source = \"notes\"\nreadonly = true\n"), std::string::npos) << toml;
}

TEST(DbhubConfig, SourceIds) {
  EXPECT_TRUE(ValidSourceId("sales_2024").ok());
  EXPECT_FALSE(ValidSourceId("").ok());
  EXPECT_FALSE(ValidSourceId("Sales").ok());
  EXPECT_FALSE(ValidSourceId("a\"b").ok());
  EXPECT_FALSE(ValidSourceId(std::string(33, 'a')).ok());
}

}  // namespace
}  // namespace mcpgw::policies
