// execute_sql returns the rows that are really in the database.

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/postgres_server.h"
#include "test_support/sqlite_db.h"

namespace mcpgw::it {
namespace {

using ExecuteSqlTest = GatewayTest;

TEST_F(ExecuteSqlTest, ExecuteSqlReturnsSqliteRows) {
  StartGateway();
  auto client = Client(NewSqliteDsn("people.db"));

  const auto response = client.ExecuteSql(kPeopleQuery);

  ASSERT_EQ(response.status, 200) << response.Describe();
  const auto rows = ExecuteSqlRows(response);
  ASSERT_TRUE(rows.has_value()) << response.Describe();
  EXPECT_EQ(*rows, PeopleRows());
}

TEST_F(ExecuteSqlTest, ExecuteSqlReturnsPostgresRows) {
  auto& postgres = SharedPostgres();
  StartGateway();
  auto client = Client(postgres.Dsn());

  const auto response = client.ExecuteSql(kProductsQuery);

  ASSERT_EQ(response.status, 200) << response.Describe();
  const auto rows = ExecuteSqlRows(response);
  ASSERT_TRUE(rows.has_value()) << response.Describe();
  EXPECT_EQ(*rows, ProductsRows());
}

}  // namespace
}  // namespace mcpgw::it
