// The OAuth listener fetches an issuer's keys (an HTTPS request that may
// take seconds) off the I/O thread: with one I/O thread and a provider that
// holds its JWKS answer, other requests are answered meanwhile, and the
// request that needed the keys is answered once they came. The real
// OAuthVerifier and OidcIssuer; the provider is the injected HTTP GET (the
// narrow place where its slowness is injected).

#include <atomic>
#include <future>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "gateway/auth/oauth_verifier.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/raw_client.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

constexpr char kIssuer[] = "https://idp.example/realms/acme";
constexpr char kJwksUrl[] = "https://idp.example/jwks";

std::string Jwks(const std::string& kid) {
  return nlohmann::json{{"keys",
                         {{{"kty", "OKP"},
                           {"crv", "Ed25519"},
                           {"kid", kid},
                           {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}}}}
      .dump();
}

// A JWT naming `kid` and the issuer; its signature is not valid (the test
// is about when keys are fetched, not about accepting the token).
std::string TokenSignedWith(const std::string& kid) {
  const auto segment = [](const nlohmann::json& json) {
    return absl::WebSafeBase64Escape(json.dump());
  };
  return segment({{"alg", "EdDSA"}, {"kid", kid}}) + "." +
         segment({{"iss", kIssuer}, {"sub", "robot"}, {"tenant", "acme"}}) + "." +
         absl::WebSafeBase64Escape(std::string(64, 'x'));
}

// The provider: discovery at once; the JWKS at once until `hold` is set,
// then only once `release` is fulfilled.
struct SlowProvider {
  std::atomic<int> jwks_fetches{0};
  std::atomic<bool> hold{false};
  std::atomic<bool> holding{false};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::string keys = Jwks("old");

  gateway::HttpGetFunction Get() {
    return [this](const std::string& url) -> absl::StatusOr<std::string> {
      if (url == std::string(kIssuer) + "/.well-known/openid-configuration") {
        return nlohmann::json{{"issuer", kIssuer}, {"jwks_uri", kJwksUrl}}.dump();
      }
      if (url != kJwksUrl) return absl::NotFoundError("404 " + url);
      ++jwks_fetches;
      if (hold) {
        holding = true;
        released.wait();
      }
      return keys;
    };
  }
};

TEST(OAuthKeys, AKeyFetchDoesNotHoldTheIoThread) {
  const common::SystemClock clock;
  SlowProvider provider;
  std::vector<std::unique_ptr<gateway::OidcIssuer>> issuers;
  // min_refetch_interval 0: the test's token may trigger a fetch at once.
  issuers.push_back(std::make_unique<gateway::OidcIssuer>(
      kIssuer,
      gateway::OidcIssuerOptions{.min_refetch_interval = std::chrono::milliseconds(0),
                                 .max_key_age = std::chrono::hours(1)},
      provider.Get(), clock));
  gateway::OAuthVerifier verifier(std::move(issuers), {}, clock);
  ASSERT_TRUE(verifier.RefreshAll().empty());
  ASSERT_EQ(provider.jwks_fetches.load(), 1);

  FakePool pool({"127.0.0.1", 1, "instance-token"});
  HarnessOptions options;
  options.threads = 1;  // one I/O thread: a blocking fetch would stop it all
  options.oauth = &verifier;
  GatewayUnderTest gateway(pool, options);

  // A token signed with a key the cache lacks: the gateway fetches the
  // JWKS, which the provider holds.
  provider.keys = Jwks("new");
  provider.hold = true;
  HeaderList bearer;
  bearer.Add("Authorization", "Bearer " + TokenSignedWith("new"));
  RawClient waiting(gateway.mcp_port());
  ASSERT_TRUE(waiting.Send(
      PostRequest(gateway.mcp_port(), "/mcp", RpcRequest(1, "tools/list"), bearer)));
  ASSERT_TRUE(WaitFor([&] { return provider.holding.load(); }));

  // Meanwhile the I/O thread serves others: a health check, and a token of
  // no JWT at all (refused at once, nothing to fetch).
  RawClient other(gateway.mcp_port());
  const auto health = other.Exchange(GetRequest(gateway.mcp_port(), "/healthz", {}));
  EXPECT_EQ(health.status, 200u);
  RawClient stranger(gateway.mcp_port());
  const auto refused = stranger.Exchange(PostRequest(
      gateway.mcp_port(), "/mcp", RpcRequest(2, "tools/list"),
      HeaderList().Add("Authorization", "Bearer not-a-jwt")));
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(waiting.Read({}, std::chrono::milliseconds(50)).status, 0u)
      << "answered before its keys came";

  // The keys come: the waiting request is decided with them (its signature
  // is forged, so 401 saying so, not "unknown key").
  provider.release.set_value();
  const auto& answer = waiting.Read();
  EXPECT_EQ(answer.status, 401u);
  const std::string message = answer.Json()["error"]["message"].get<std::string>();
  EXPECT_EQ(message.find("does not publish"), std::string::npos) << message;
  EXPECT_NE(message.find("signature"), std::string::npos) << message;
  EXPECT_EQ(provider.jwks_fetches.load(), 2);
  EXPECT_EQ(pool.counts().acquired.load(), 0);
}

}  // namespace
}  // namespace mcpgw::harness
