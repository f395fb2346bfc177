// The pure half of bridging 2026-07-28 clients to initialize-era backends
// (gateway/mcp/era_bridge.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/mcp/era_bridge.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

const nlohmann::json kMeta = {
    {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
    {"io.modelcontextprotocol/clientCapabilities",
     {{"sampling", nlohmann::json::object()},
      {"elicitation", nlohmann::json::object()},
      {"roots", nlohmann::json::object()},
      {"experimental", {{"x", true}}}}},
    {"io.modelcontextprotocol/clientInfo", {{"name", "c"}, {"version", "9"}}},
    {"progressToken", 5}};

TEST(EraProbe, DiscoverResultsAndModernErrorsMeanStateless) {
  const nlohmann::json discover = {
      {"jsonrpc", "2.0"},
      {"id", "p"},
      {"result", {{"supportedVersions", {"2026-07-28"}}}}};
  EXPECT_TRUE(AnswersStateless(200, {discover}));
  const nlohmann::json mismatch = {
      {"jsonrpc", "2.0"}, {"id", "p"}, {"error", {{"code", -32020}, {"message", "m"}}}};
  EXPECT_TRUE(AnswersStateless(400, {mismatch}));
  // server-everything 2026.8.31: no session, no discover.
  const nlohmann::json not_initialized = {
      {"jsonrpc", "2.0"},
      {"id", nullptr},
      {"error", {{"code", -32000}, {"message", "Bad Request: Server not initialized"}}}};
  EXPECT_FALSE(AnswersStateless(400, {not_initialized}));
  EXPECT_FALSE(AnswersStateless(404, {}));
}

TEST(EraBridge, RoutesMethods) {
  EXPECT_EQ(RouteForBridge("server/discover"), BridgeRoute::kDiscover);
  for (auto method : {"tools/list", "tools/call", "resources/list", "resources/read",
                      "resources/templates/list", "prompts/list", "prompts/get",
                      "completion/complete"}) {
    EXPECT_EQ(RouteForBridge(method), BridgeRoute::kRequest) << method;
  }
  EXPECT_EQ(RouteForBridge("subscriptions/listen"), BridgeRoute::kUnbridgeable);
  for (auto method : {"initialize", "ping", "logging/setLevel", "resources/subscribe", "x/y"}) {
    EXPECT_EQ(RouteForBridge(method), BridgeRoute::kRemoved) << method;
  }
}

TEST(EraBridge, InitializeCarriesTheClientsCapabilitiesButNoServerRequests) {
  const nlohmann::json call = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"},
                               {"params", {{"_meta", kMeta}}}};
  const auto initialize = InitializeFor(call);
  EXPECT_EQ(initialize["method"], "initialize");
  EXPECT_EQ(initialize["params"]["protocolVersion"], kBridgedBackendRevision);
  EXPECT_EQ(initialize["params"]["clientInfo"]["name"], "c");
  const auto& caps = initialize["params"]["capabilities"];
  EXPECT_TRUE(caps.contains("experimental"));
  EXPECT_FALSE(caps.contains("sampling"));
  EXPECT_FALSE(caps.contains("elicitation"));
  EXPECT_FALSE(caps.contains("roots"));
}

TEST(EraBridge, LegacyRequestDropsOnlyTheNewMetaKeys) {
  const nlohmann::json call = {
      {"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
      {"params", {{"name", "echo"}, {"_meta", kMeta}}}};
  const auto legacy = LegacyRequest(call);
  EXPECT_EQ(legacy["params"]["name"], "echo");
  EXPECT_EQ(legacy["params"]["_meta"], nlohmann::json({{"progressToken", 5}}));
}

TEST(EraBridge, MissingMetaIsInvalidParams) {
  const nlohmann::json bare = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}};
  const auto refusal = MissingRequestMeta(bare);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, http::status::bad_request);
  EXPECT_EQ(refusal->rpc_code, policies::rpc_code::kInvalidParams);
  const nlohmann::json full = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"},
                               {"params", {{"_meta", kMeta}}}};
  EXPECT_FALSE(MissingRequestMeta(full));
}

TEST(EraBridge, DiscoverComesFromInitializeWithCachingHints) {
  const nlohmann::json init = {
      {"protocolVersion", "2025-11-25"},
      {"capabilities", {{"tools", {{"listChanged", true}}}, {"logging", nlohmann::json::object()},
                        {"resources", {{"subscribe", true}}}}},
      {"serverInfo", {{"name", "everything"}, {"version", "2"}}},
      {"instructions", "be nice"}};
  const auto result = DiscoverResult(init);
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_EQ(result["supportedVersions"], nlohmann::json::array({"2026-07-28"}));
  EXPECT_EQ(result["ttlMs"], 0);
  EXPECT_EQ(result["cacheScope"], "private");
  EXPECT_EQ(result["instructions"], "be nice");
  EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "everything");
  EXPECT_TRUE(result["capabilities"].contains("tools"));
  EXPECT_FALSE(result["capabilities"].contains("logging"));
  EXPECT_FALSE(result["capabilities"]["resources"].contains("subscribe"));
}

TEST(EraBridge, ResultsAreShapedForTheClientsRevision) {
  const nlohmann::json list = {{"jsonrpc", "2.0"}, {"id", 1}, {"result", {{"tools", nlohmann::json::array()}}}};
  const auto shaped = StatelessAnswer("tools/list", list);
  EXPECT_EQ(shaped["result"]["resultType"], "complete");
  EXPECT_EQ(shaped["result"]["ttlMs"], 0);
  EXPECT_EQ(shaped["result"]["cacheScope"], "private");
  const auto call = StatelessAnswer(
      "tools/call", {{"jsonrpc", "2.0"}, {"id", 1}, {"result", {{"content", nlohmann::json::array()}}}});
  EXPECT_EQ(call["result"]["resultType"], "complete");
  EXPECT_FALSE(call["result"].contains("ttlMs"));
  const nlohmann::json error = {{"jsonrpc", "2.0"}, {"id", 1}, {"error", {{"code", -32602}, {"message", "m"}}}};
  EXPECT_EQ(StatelessAnswer("tools/list", error), error);
}

TEST(EraBridge, ServerRequestsAreSeen) {
  const nlohmann::json sampling = {{"jsonrpc", "2.0"}, {"id", 9}, {"method", "sampling/createMessage"}};
  const nlohmann::json progress = {{"jsonrpc", "2.0"}, {"method", "notifications/progress"}};
  EXPECT_TRUE(HasServerRequest({progress, sampling}));
  EXPECT_FALSE(HasServerRequest({progress}));
}

TEST(BackendEras, RemembersPerInstanceUntilForgotten) {
  BackendEras eras;
  EXPECT_FALSE(eras.Find("i-1"));
  eras.Set("i-1", BackendEra::kInitialize);
  EXPECT_EQ(eras.Find("i-1"), BackendEra::kInitialize);
  eras.Forget("i-1");
  EXPECT_FALSE(eras.Find("i-1"));
}

}  // namespace
}  // namespace mcpgw::gateway
