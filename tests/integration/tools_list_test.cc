// tools/list goes through the gateway to a real DBHub on a SQLite file.

#include <algorithm>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"

namespace mcpgw::it {
namespace {

using ToolsListTest = GatewayTest;

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST_F(ToolsListTest, ToolsListNamesExecuteSqlAndSearchObjects) {
  StartGateway();
  auto client = Client(NewSqliteDsn("tools.db"));

  const auto response = client.ListTools();

  ASSERT_EQ(response.status, 200) << response.Describe();
  ASSERT_EQ(response.messages.size(), 1u) << response.Describe();
  EXPECT_EQ(response.messages[0].value("id", -1), client.last_id())
      << response.Describe();
  const auto names = ToolNames(response);
  EXPECT_TRUE(Has(names, "execute_sql")) << response.Describe();
  EXPECT_TRUE(Has(names, "search_objects")) << response.Describe();
}

}  // namespace
}  // namespace mcpgw::it
