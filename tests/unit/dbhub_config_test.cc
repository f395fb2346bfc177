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

TEST(DbhubConfig, SourceIds) {
  EXPECT_TRUE(ValidSourceId("sales_2024").ok());
  EXPECT_FALSE(ValidSourceId("").ok());
  EXPECT_FALSE(ValidSourceId("Sales").ok());
  EXPECT_FALSE(ValidSourceId("a\"b").ok());
  EXPECT_FALSE(ValidSourceId(std::string(33, 'a')).ok());
}

}  // namespace
}  // namespace mcpgw::policies
