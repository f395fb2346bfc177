// Requests the gateway must refuse, and a database DBHub cannot reach: each
// gets a JSON-RPC error with the right HTTP status, quickly, and without the
// password in it.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/net_util.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using DsnErrorsTest = GatewayTest;

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kBadPassword = "Very-Secret-77";
// Far below --start-timeout=60s: DBHub's failure must be noticed when DBHub
// exits, not when the start deadline passes.
constexpr milliseconds kFailFastBound{30000};
constexpr milliseconds kLongTimeout{90000};

std::string UnreachablePostgresDsn(int port) {
  return std::string("postgres://bob:") + kBadPassword + "@127.0.0.1:" +
         std::to_string(port) + "/x";
}

TEST_F(DsnErrorsTest, UnreachableDatabaseIs502WithReasonAndWithoutPassword) {
  StartGateway({"--start-timeout=60s"});
  RefusingPort closed;
  auto client = Client(UnreachablePostgresDsn(closed.port()));

  for (int attempt = 1; attempt <= 2; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const auto response = client.Call("tools/list", nlohmann::json::object(),
                                      kLongTimeout);

    EXPECT_TRUE(IsJsonRpcErrorResponse(response, 502, rpc_code::kBackendStartFailed));
    EXPECT_NE(JsonRpcErrorMessage(response).find("ECONNREFUSED"),
              std::string::npos)
        << response.Describe();
    EXPECT_TRUE(DoesNotContain(response.body, kBadPassword));
    EXPECT_LT(response.elapsed, kFailFastBound) << response.Describe();
  }
}

TEST_F(DsnErrorsTest, UnsupportedSchemeIs400) {
  StartGateway();
  auto client = Client("ftp://x");

  const auto response = client.ListTools();

  EXPECT_TRUE(IsJsonRpcErrorResponse(response, 400, rpc_code::kBadTarget));
}

TEST_F(DsnErrorsTest, MissingDsnHeaderIs401NamingTheHeader) {
  StartGateway();
  auto client = Client(std::nullopt);

  const auto response = client.ListTools();

  EXPECT_TRUE(IsJsonRpcErrorResponse(response, 401, rpc_code::kMissingCredentials));
  EXPECT_NE(JsonRpcErrorMessage(response).find("X-DBHub-DSN"),
            std::string::npos)
      << response.Describe();
}

TEST_F(DsnErrorsTest, DsnInQueryStringIs400) {
  StartGateway();
  const std::string body =
      R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})";
  RefusingPort closed;
  const std::string secret_dsn = UnreachablePostgresDsn(closed.port());

  // With a valid header too: the query string alone is reason to refuse.
  auto with_header = Client(NewSqliteDsn("query.db"));
  const auto a = with_header.PostRaw(body, "?dsn=" + UrlEncode(secret_dsn));
  EXPECT_TRUE(IsJsonRpcErrorResponse(a, 400, rpc_code::kBadTarget));
  EXPECT_TRUE(DoesNotContain(a.body, kBadPassword));

  // Without a header, a DSN smuggled in the query is not accepted either.
  auto without_header = Client(std::nullopt);
  const auto b = without_header.PostRaw(body, "?dsn=" + UrlEncode(secret_dsn));
  EXPECT_TRUE(b.status == 400 || b.status == 401) << b.Describe();
  EXPECT_TRUE(CarriesJsonRpcError(b));
  EXPECT_TRUE(DoesNotContain(b.body, kBadPassword));
}

}  // namespace
}  // namespace mcpgw::it
