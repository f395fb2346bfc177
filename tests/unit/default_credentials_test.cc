#include "gateway/mcp/default_credentials.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

Request Post() {
  Request request{http::verb::post, "/mcp", 11};
  request.set(http::field::content_type, "application/json");
  return request;
}

TEST(DefaultCredentials, AddsTheDsnToARequestWithoutCredentials) {
  auto request = Post();
  EXPECT_TRUE(CarriesNoCredentials(request));
  EXPECT_TRUE(ApplyDefaultDsn(request, "sqlite:///tmp/a.db"));
  EXPECT_EQ(request["X-DBHub-DSN"], "sqlite:///tmp/a.db");
  EXPECT_EQ(request.count("X-DBHub-DSN"), 1u);
}

TEST(DefaultCredentials, LeavesARequestWithItsOwnDsnAlone) {
  auto request = Post();
  request.set("x-dbhub-dsn", "sqlite:///tmp/b.db");
  EXPECT_FALSE(ApplyDefaultDsn(request, "sqlite:///tmp/a.db"));
  EXPECT_EQ(request["X-DBHub-DSN"], "sqlite:///tmp/b.db");
  EXPECT_EQ(request.count("X-DBHub-DSN"), 1u);
}

TEST(DefaultCredentials, LeavesARequestWithAnAuthorizationHeaderAlone) {
  // A bearer token is a credential (a tenant's): it must not silently fall
  // back to the default backend.
  auto request = Post();
  request.set(http::field::authorization, "Bearer tenant-token");
  EXPECT_FALSE(ApplyDefaultDsn(request, "sqlite:///tmp/a.db"));
  EXPECT_EQ(request.count("X-DBHub-DSN"), 0u);
}

TEST(DefaultCredentials, AnEmptyDefaultChangesNothing) {
  auto request = Post();
  EXPECT_FALSE(ApplyDefaultDsn(request, ""));
  EXPECT_EQ(request.count("X-DBHub-DSN"), 0u);
}

}  // namespace
}  // namespace mcpgw::gateway
