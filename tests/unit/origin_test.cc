// Host and Origin checks: loopback names pass, anything else only when
// allowed; a browser page may call only from the same host and port or from
// an allowed origin.

#include "policies/origin.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

std::optional<Refusal> Check(std::optional<std::string_view> host,
                             std::optional<std::string_view> origin,
                             OriginPolicy policy = {}) {
  return CheckHostAndOrigin(host, origin, policy);
}

TEST(OriginTest, LoopbackHostsWithoutOriginPass) {
  for (const char* host : {"localhost", "localhost:8080", "127.0.0.1:9",
                           "127.1.2.3", "[::1]:8080", "[::1]", "LOCALHOST:1"}) {
    EXPECT_EQ(Check(host, std::nullopt), std::nullopt) << host;
  }
}

TEST(OriginTest, OtherHostsAreRefusedUnlessAllowed) {
  const auto refused = Check("rebind.attacker.example:8080", std::nullopt);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 403);
  EXPECT_EQ(refused->rpc_code, rpc_code::kForbidden);
  EXPECT_NE(refused->message.find("rebind.attacker.example"), std::string::npos);
  EXPECT_NE(refused->message.find("--allowed-hosts"), std::string::npos);

  OriginPolicy policy{.allowed_hosts = {"gw.internal"}, .allowed_origins = {}};
  EXPECT_EQ(Check("gw.internal:8080", std::nullopt, policy), std::nullopt);
  EXPECT_EQ(Check("GW.internal", std::nullopt, policy), std::nullopt);
  EXPECT_TRUE(Check("other.internal", std::nullopt, policy).has_value());
  OriginPolicy any{.allowed_hosts = {"*"}, .allowed_origins = {}};
  EXPECT_EQ(Check("anything.example", std::nullopt, any), std::nullopt);
}

TEST(OriginTest, MissingOrBrokenHostIsABadRequest) {
  for (std::optional<std::string_view> host :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("[::1"),
        std::optional<std::string_view>("localhost:80a")}) {
    const auto refused = Check(host, std::nullopt);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->http_status, 400);
  }
}

TEST(OriginTest, SameHostOriginPasses) {
  EXPECT_EQ(Check("localhost:8080", "http://localhost:8080"), std::nullopt);
  EXPECT_EQ(Check("127.0.0.1:80", "http://127.0.0.1"), std::nullopt);
  EXPECT_EQ(Check("127.0.0.1", "http://127.0.0.1:80"), std::nullopt);
}

TEST(OriginTest, ForeignOriginsAreRefusedUnlessAllowed) {
  for (const char* origin :
       {"http://evil.example", "http://localhost:9999",
        "null", "not a url", "http://127.0.0.1.evil.example:8080"}) {
    const auto refused = Check("localhost:8080", origin);
    ASSERT_TRUE(refused.has_value()) << origin;
    EXPECT_EQ(refused->http_status, 403);
    EXPECT_NE(refused->message.find("--allowed-origins"), std::string::npos);
  }
  OriginPolicy policy{.allowed_hosts = {}, .allowed_origins = {"https://app.example.com"}};
  EXPECT_EQ(Check("localhost:8080", "https://app.example.com", policy),
            std::nullopt);
  EXPECT_TRUE(
      Check("localhost:8080", "https://app.example.com.evil", policy).has_value());
}

TEST(OriginTest, QuotesClientTextBounded) {
  const std::string long_origin = "http://" + std::string(5000, 'a') + ".example";
  const auto refused = Check("localhost", long_origin);
  ASSERT_TRUE(refused.has_value());
  EXPECT_LT(refused->message.size(), 300u);
}

}  // namespace
}  // namespace mcpgw::policies
