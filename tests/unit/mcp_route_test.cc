#include "gateway/mcp/mcp_route.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

Request Make(http::verb verb, std::string target,
             std::optional<std::string> dsn = std::nullopt) {
  Request request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1:8080");
  if (dsn) request.set("X-DBHub-DSN", *dsn);
  if (verb == http::verb::post) {
    request.body() = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
    request.prepare_payload();
  }
  return request;
}

TEST(DecideMcpRoute, PostWithDsnIsProxied) {
  auto route = DecideMcpRoute(Make(http::verb::post, "/mcp", "sqlite:///a.db"), kSecret);
  ASSERT_TRUE(std::holds_alternative<ProxyTo>(route));
  EXPECT_EQ(std::get<ProxyTo>(route).target.dsn.original, "sqlite:///a.db");
  EXPECT_EQ(std::get<ProxyTo>(route).target.key.size(), 64u);
}

TEST(DecideMcpRoute, HealthCheckNeedsNoCredentials) {
  EXPECT_TRUE(std::holds_alternative<HealthCheck>(
      DecideMcpRoute(Make(http::verb::get, "/healthz"), kSecret)));
}

TEST(DecideMcpRoute, RefusalsCarryStatusAndCode) {
  struct Case {
    Request request;
    http::status status;
  };
  std::vector<Case> cases;
  cases.push_back({Make(http::verb::post, "/mcp"), http::status::unauthorized});
  cases.push_back({Make(http::verb::post, "/mcp?dsn=sqlite:///x.db", "sqlite:///x.db"),
                   http::status::bad_request});
  cases.push_back({Make(http::verb::post, "/mcp", "ftp://x"), http::status::bad_request});
  cases.push_back({Make(http::verb::post, "/other", "sqlite:///a.db"), http::status::not_found});
  cases.push_back({Make(http::verb::put, "/mcp", "sqlite:///a.db"),
                   http::status::method_not_allowed});
  Request two = Make(http::verb::post, "/mcp", "sqlite:///a.db");
  two.insert("X-DBHub-DSN", "sqlite:///b.db");
  cases.push_back({two, http::status::bad_request});
  for (const auto& c : cases) {
    auto route = DecideMcpRoute(c.request, kSecret);
    ASSERT_TRUE(std::holds_alternative<ErrorReply>(route)) << c.request.target();
    EXPECT_EQ(std::get<ErrorReply>(route).status, c.status) << c.request.target();
  }
}

TEST(DecideMcpRoute, UnauthorizedCarriesWwwAuthenticate) {
  auto route = DecideMcpRoute(Make(http::verb::post, "/mcp"), kSecret);
  const auto& reply = std::get<ErrorReply>(route);
  ASSERT_EQ(reply.extra_headers.size(), 1u);
  EXPECT_EQ(reply.extra_headers[0].first, "WWW-Authenticate");
}

// A body that is not JSON-RPC is answered by the gateway (DBHub would
// answer with an HTML page), after the credentials are checked.
TEST(DecideMcpRoute, PostBodyMustBeJsonRpc) {
  struct Case {
    std::string body;
    int code;
  };
  for (const Case& c : std::vector<Case>{{"", -32700},
                                         {"{", -32700},
                                         {"not json", -32700},
                                         {"{\"m\":\"\xff\xfe\"}", -32700},
                                         {"null", -32600},
                                         {"42", -32600},
                                         {"[]", -32600},
                                         {"[1]", -32600},
                                         {"[[[]]]", -32600},
                                         {"[{},2]", -32600}}) {
    auto request = Make(http::verb::post, "/mcp", "sqlite:///a.db");
    request.body() = c.body;
    auto route = DecideMcpRoute(request, kSecret);
    ASSERT_TRUE(std::holds_alternative<ErrorReply>(route)) << c.body;
    EXPECT_EQ(std::get<ErrorReply>(route).status, http::status::bad_request) << c.body;
    EXPECT_EQ(std::get<ErrorReply>(route).rpc_code, c.code) << c.body;
    // The same with the body read beforehand (McpHandler reads it once).
    const auto parsed = ReadPostBody(request.body());
    auto preparsed = DecideMcpRoute(request, kSecret, {}, {}, &parsed);
    ASSERT_TRUE(std::holds_alternative<ErrorReply>(preparsed)) << c.body;
    EXPECT_EQ(std::get<ErrorReply>(preparsed).rpc_code, c.code) << c.body;
    EXPECT_EQ(std::get<ErrorReply>(preparsed).message,
              std::get<ErrorReply>(route).message) << c.body;
  }
  for (const std::string body : {R"({"jsonrpc":"2.0","method":"x"})",
                                 R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{}])"}) {
    auto request = Make(http::verb::post, "/mcp", "sqlite:///a.db");
    request.body() = body;
    EXPECT_TRUE(std::holds_alternative<ProxyTo>(DecideMcpRoute(request, kSecret))) << body;
    const auto parsed = ReadPostBody(request.body());
    EXPECT_TRUE(std::holds_alternative<ProxyTo>(
        DecideMcpRoute(request, kSecret, {}, {}, &parsed))) << body;
  }
  // Credentials first: no DSN is 401 whatever the body.
  auto anonymous = Make(http::verb::post, "/mcp");
  anonymous.body() = "{";
  auto route = DecideMcpRoute(anonymous, kSecret);
  ASSERT_TRUE(std::holds_alternative<ErrorReply>(route));
  EXPECT_EQ(std::get<ErrorReply>(route).status, http::status::unauthorized);
}

TEST(AcquireFailureReply, MapsPoolErrors) {
  auto full = AcquireFailureReply(absl::ResourceExhaustedError("full"));
  EXPECT_EQ(full.status, http::status::service_unavailable);
  EXPECT_EQ(full.rpc_code, policies::rpc_code::kNoCapacity);
  ASSERT_EQ(full.extra_headers.size(), 1u);
  EXPECT_EQ(full.extra_headers[0].first, "Retry-After");
  auto start = AcquireFailureReply(absl::UnavailableError("could not start: x"));
  EXPECT_EQ(start.status, http::status::bad_gateway);
  EXPECT_EQ(start.rpc_code, policies::rpc_code::kBackendStartFailed);
  EXPECT_EQ(start.message, "could not start: x");
  auto stopping = AcquireFailureReply(absl::AbortedError("stopping"));
  EXPECT_EQ(stopping.status, http::status::service_unavailable);
}


TEST(DecideMcpRoute, LegacyTransportEndpoints) {
  auto stream = DecideMcpRoute(Make(http::verb::get, "/sse", "sqlite:///a.db"), kSecret);
  ASSERT_TRUE(std::holds_alternative<ProxyTo>(stream));
  EXPECT_EQ(std::get<ProxyTo>(stream).endpoint, McpEndpoint::kLegacyStream);

  auto message = DecideMcpRoute(
      Make(http::verb::post, "/messages?sessionId=abc123", "sqlite:///a.db"), kSecret);
  ASSERT_TRUE(std::holds_alternative<ProxyTo>(message));
  EXPECT_EQ(std::get<ProxyTo>(message).endpoint, McpEndpoint::kLegacyMessage);
  EXPECT_EQ(std::get<ProxyTo>(message).legacy_session, "abc123");

  auto no_session = DecideMcpRoute(
      Make(http::verb::post, "/messages", "sqlite:///a.db"), kSecret);
  ASSERT_TRUE(std::holds_alternative<ErrorReply>(no_session));
  EXPECT_EQ(std::get<ErrorReply>(no_session).status, http::status::bad_request);

  auto wrong_method = DecideMcpRoute(Make(http::verb::post, "/sse", "sqlite:///a.db"), kSecret);
  ASSERT_TRUE(std::holds_alternative<ErrorReply>(wrong_method));
  EXPECT_EQ(std::get<ErrorReply>(wrong_method).status, http::status::method_not_allowed);
}

TEST(DecideMcpRoute, ForeignHostAndOriginAreRefusedBeforeCredentials) {
  Request rebinding = Make(http::verb::post, "/mcp", "sqlite:///a.db");
  rebinding.set(http::field::host, "evil.example:8080");
  auto route = DecideMcpRoute(rebinding, kSecret);
  ASSERT_TRUE(std::holds_alternative<ErrorReply>(route));
  EXPECT_EQ(std::get<ErrorReply>(route).status, http::status::forbidden);

  Request cross_site = Make(http::verb::post, "/mcp");  // no DSN either
  cross_site.set(http::field::origin, "http://evil.example");
  route = DecideMcpRoute(cross_site, kSecret);
  ASSERT_TRUE(std::holds_alternative<ErrorReply>(route));
  EXPECT_EQ(std::get<ErrorReply>(route).status, http::status::forbidden);

  policies::OriginPolicy allow{.allowed_hosts = {}, .allowed_origins = {"http://evil.example"}};
  Request allowed = Make(http::verb::post, "/mcp", "sqlite:///a.db");
  allowed.set(http::field::origin, "http://evil.example");
  EXPECT_TRUE(std::holds_alternative<ProxyTo>(DecideMcpRoute(allowed, kSecret, allow)));
}

}  // namespace
}  // namespace mcpgw::gateway
