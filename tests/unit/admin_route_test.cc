// The admin listener's routing and token check, without sockets.

#include "gateway/admin/admin_route.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";
const std::string kBearer = "Bearer " + std::string(kToken);

AdminRoute Route(http::verb verb, std::string_view target,
                 std::optional<std::string_view> auth = kBearer) {
  return DecideAdminRoute(verb, target, auth, kToken);
}

const AdminCall& Call(const AdminRoute& route) {
  static const AdminCall none{AdminEndpoint::kHealthz, "none", {}};
  const auto* call = std::get_if<AdminCall>(&route);
  EXPECT_NE(call, nullptr);
  return call != nullptr ? *call : none;
}

http::status StatusOf(const AdminRoute& route) {
  const auto* error = std::get_if<AdminError>(&route);
  return error != nullptr ? error->status : http::status::ok;
}

TEST(AdminRouteTest, HealthAndReadinessNeedNoToken) {
  EXPECT_EQ(Call(Route(http::verb::get, "/healthz", std::nullopt)).endpoint,
            AdminEndpoint::kHealthz);
  EXPECT_EQ(Call(Route(http::verb::get, "/readyz", std::nullopt)).endpoint,
            AdminEndpoint::kReadyz);
  EXPECT_EQ(StatusOf(Route(http::verb::post, "/healthz", std::nullopt)),
            http::status::method_not_allowed);
}

TEST(AdminRouteTest, EverythingElseNeedsTheRightToken) {
  for (const char* target :
       {"/metrics", "/admin/instances", "/admin/instances/i-1",
        "/admin/sessions", "/admin/config", "/admin/scaling", "/nowhere"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(StatusOf(Route(http::verb::get, target, std::nullopt)),
              http::status::unauthorized);
    EXPECT_EQ(StatusOf(Route(http::verb::get, target, "Bearer wrong")),
              http::status::unauthorized);
    EXPECT_EQ(StatusOf(Route(http::verb::get, target, kToken)),
              http::status::unauthorized);  // no "Bearer"
    const std::string near = "Bearer " + std::string(kToken.substr(1)) + "0";
    EXPECT_EQ(StatusOf(Route(http::verb::get, target, near)),
              http::status::unauthorized);
  }
  EXPECT_EQ(Call(Route(http::verb::get, "/metrics", "bearer  " +
                                                        std::string(kToken)))
                .endpoint,
            AdminEndpoint::kMetrics);
}

TEST(AdminRouteTest, EmptyConfiguredTokenRefusesEveryone) {
  EXPECT_EQ(StatusOf(DecideAdminRoute(http::verb::get, "/metrics",
                                      "Bearer ", "")),
            http::status::unauthorized);
}

TEST(AdminRouteTest, InstanceEndpoints) {
  auto get = Call(Route(http::verb::get, "/admin/instances/i-ab12-3"));
  EXPECT_EQ(get.endpoint, AdminEndpoint::kGetInstance);
  EXPECT_EQ(get.instance_id, "i-ab12-3");
  EXPECT_EQ(Call(Route(http::verb::delete_, "/admin/instances/i-1")).endpoint,
            AdminEndpoint::kDeleteInstance);
  EXPECT_EQ(Call(Route(http::verb::post, "/admin/instances/i-1/drain")).endpoint,
            AdminEndpoint::kDrainInstance);
  EXPECT_EQ(Call(Route(http::verb::get, "/admin/instances/i-1/logs")).endpoint,
            AdminEndpoint::kInstanceLogs);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances/i-1/drain")),
            http::status::method_not_allowed);
  EXPECT_EQ(StatusOf(Route(http::verb::post, "/admin/instances/i-1")),
            http::status::method_not_allowed);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances/a%2Fb")),
            http::status::not_found);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances/i-1/other")),
            http::status::not_found);
  EXPECT_EQ(StatusOf(Route(http::verb::post, "/admin/instances")),
            http::status::method_not_allowed);
}

TEST(AdminRouteTest, ListFilters) {
  auto call = Call(
      Route(http::verb::get, "/admin/instances?state=ready&runtime=process&tenant="));
  EXPECT_EQ(call.endpoint, AdminEndpoint::kListInstances);
  EXPECT_EQ(call.filter.state, "ready");
  EXPECT_EQ(call.filter.runtime, "process");
  EXPECT_EQ(call.filter.tenant, "");
  auto last = Call(Route(http::verb::get, "/admin/instances?runtime=process&state=ready"));
  EXPECT_EQ(last.filter.state, "ready");
  EXPECT_EQ(last.filter.runtime, "process");
  const std::string owned = "/admin/instances?state=draining";
  EXPECT_EQ(Call(Route(http::verb::get, owned)).filter.state, "draining");
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances?state=sleepy")),
            http::status::bad_request);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances?colour=red")),
            http::status::bad_request);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/instances?state=%zz")),
            http::status::bad_request);
}

TEST(AdminRouteTest, FilterMatching) {
  runtime::InstanceSnapshot ready;
  ready.state = runtime::InstanceState::kReady;
  ready.runtime = "process";
  runtime::InstanceSnapshot draining = ready;
  draining.draining = true;
  EXPECT_EQ(VisibleState(draining), "draining");
  auto filter = [](std::optional<std::string> tenant,
                   std::optional<std::string> state,
                   std::optional<std::string> runtime) {
    return InstanceFilter{tenant, state, runtime};
  };
  EXPECT_TRUE(MatchesFilter(ready, filter({}, {}, {})));
  EXPECT_TRUE(MatchesFilter(ready, filter({}, "ready", {})));
  EXPECT_FALSE(MatchesFilter(draining, filter({}, "ready", {})));
  EXPECT_TRUE(MatchesFilter(draining, filter({}, "draining", {})));
  EXPECT_FALSE(MatchesFilter(ready, filter({}, {}, "docker")));
  EXPECT_TRUE(MatchesFilter(ready, filter({}, {}, "process")));
  EXPECT_TRUE(MatchesFilter(ready, filter("", {}, {})));
  EXPECT_FALSE(MatchesFilter(ready, filter("acme", {}, {})));
}

TEST(AdminRouteTest, TokensEqual) {
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "abcd"));
  EXPECT_FALSE(TokensEqual("", "a"));
}

}  // namespace
}  // namespace mcpgw::gateway

namespace mcpgw::gateway {
namespace {

TEST(AdminRouteTest, TenantEndpointsNeedTheToken) {
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/tenants", std::nullopt)),
            http::status::unauthorized);
  EXPECT_EQ(StatusOf(Route(http::verb::post, "/admin/tenants/acme/tokens",
                           std::string_view("Bearer wrong"))),
            http::status::unauthorized);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/tenantsX")),
            http::status::not_found);
}

TEST(AdminRouteTest, EachTenantEndpointIsDecidedWithItsIds) {
  struct Case {
    http::verb verb;
    std::string_view target;
    TenantAction action;
    std::string_view tenant;
    std::string_view item;
  };
  using enum TenantAction;
  for (const Case& c : {
           Case{http::verb::get, "/admin/tenants", kList, "", ""},
           Case{http::verb::get, "/admin/tenants/", kList, "", ""},
           Case{http::verb::post, "/admin/tenants", kCreate, "", ""},
           Case{http::verb::get, "/admin/tenants/acme", kGet, "acme", ""},
           Case{http::verb::patch, "/admin/tenants/acme", kUpdate, "acme", ""},
           Case{http::verb::put, "/admin/tenants/acme", kUpdate, "acme", ""},
           Case{http::verb::delete_, "/admin/tenants/acme", kDelete, "acme", ""},
           Case{http::verb::put, "/admin/tenants/acme/sources/db?x=1", kPutSource,
                "acme", "db"},
           Case{http::verb::delete_, "/admin/tenants/acme/sources/db",
                kDeleteSource, "acme", "db"},
           Case{http::verb::post, "/admin/tenants/acme/tokens", kIssueToken, "acme",
                ""},
           Case{http::verb::delete_, "/admin/tenants/acme/tokens/t1", kRevokeToken,
                "acme", "t1"},
       }) {
    const auto route = Route(c.verb, c.target);
    ASSERT_TRUE(std::holds_alternative<AdminCall>(route)) << c.target;
    const auto& call = std::get<AdminCall>(route);
    EXPECT_EQ(call.endpoint, AdminEndpoint::kTenants) << c.target;
    EXPECT_EQ(call.tenant.action, c.action) << c.target;
    EXPECT_EQ(call.tenant.tenant, c.tenant) << c.target;
    EXPECT_EQ(call.tenant.item, c.item) << c.target;
  }
  EXPECT_TRUE(IsTenantRead(kList));
  EXPECT_TRUE(IsTenantRead(kGet));
  EXPECT_FALSE(IsTenantRead(kCreate));
  EXPECT_FALSE(IsTenantRead(kRevokeToken));
}

TEST(AdminRouteTest, TenantEndpointsRefuseOtherMethodsAndPaths) {
  const auto refused = Route(http::verb::delete_, "/admin/tenants");
  ASSERT_TRUE(std::holds_alternative<AdminError>(refused));
  const auto& error = std::get<AdminError>(refused);
  EXPECT_EQ(error.status, http::status::method_not_allowed);
  ASSERT_EQ(error.extra_headers.size(), 1u);
  EXPECT_EQ(error.extra_headers[0].first, "Allow");
  EXPECT_EQ(error.extra_headers[0].second, "GET, POST");
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/tenants/acme/tokens")),
            http::status::method_not_allowed);
  EXPECT_EQ(StatusOf(Route(http::verb::post, "/admin/tenants/acme/sources/db")),
            http::status::method_not_allowed);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/tenants/acme/sources")),
            http::status::not_found);
  EXPECT_EQ(StatusOf(Route(http::verb::get, "/admin/tenants/acme/other/x")),
            http::status::not_found);
}

}  // namespace
}  // namespace mcpgw::gateway
