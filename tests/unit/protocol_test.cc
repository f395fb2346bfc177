// Pure protocol decisions: revisions, batches, message shapes.
#include <gtest/gtest.h>

#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/protocol_version.h"

namespace mcpgw::gateway {
namespace {

TEST(ProtocolVersion, KnowsEveryRevisionAndNothingElse) {
  for (auto version : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25",
                       "2026-07-28"}) {
    EXPECT_TRUE(IsSupportedProtocolVersion(version)) << version;
  }
  for (auto version : {"", "2024-10-07", "2025-13-01", "latest", "2025-06-18 "}) {
    EXPECT_FALSE(IsSupportedProtocolVersion(version)) << version;
  }
}

TEST(ProtocolVersion, BatchesOnlyWhereTheRevisionAllowsThem) {
  EXPECT_TRUE(AllowsBatches("2024-11-05"));
  EXPECT_TRUE(AllowsBatches("2025-03-26"));
  EXPECT_FALSE(AllowsBatches("2025-06-18"));
  EXPECT_FALSE(AllowsBatches("2025-11-25"));
  EXPECT_FALSE(AllowsBatches("2026-07-28"));
}

TEST(ProtocolVersion, HeaderThenSessionThenAssumed) {
  EXPECT_EQ(EffectiveProtocolVersion("2025-06-18", "2025-03-26"), "2025-06-18");
  EXPECT_EQ(EffectiveProtocolVersion(std::nullopt, "2025-11-25"), "2025-11-25");
  EXPECT_EQ(EffectiveProtocolVersion(std::nullopt, ""), "2025-03-26");
  EXPECT_TRUE(IsStatelessRevision("2026-07-28"));
  EXPECT_FALSE(IsStatelessRevision("2025-11-25"));
}

TEST(JsonRpcBody, SingleBatchOrNotJson) {
  auto single = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_EQ(single.shape, JsonRpcBody::Shape::kSingle);
  ASSERT_EQ(single.messages.size(), 1u);
  EXPECT_TRUE(IsJsonRpcRequest(single.messages[0]));

  auto batch = ParseJsonRpcBody(
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}])");
  EXPECT_EQ(batch.shape, JsonRpcBody::Shape::kBatch);
  ASSERT_EQ(batch.messages.size(), 2u);
  EXPECT_FALSE(IsJsonRpcRequest(batch.messages[1]));

  EXPECT_EQ(ParseJsonRpcBody("{nope").shape, JsonRpcBody::Shape::kNotJson);
  EXPECT_EQ(ParseJsonRpcBody("").shape, JsonRpcBody::Shape::kNotJson);
}

TEST(JsonRpcBody, ClassifiesMessages) {
  const auto response = nlohmann::json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})");
  EXPECT_TRUE(IsJsonRpcResponse(response));
  EXPECT_FALSE(IsJsonRpcRequest(response));
  const auto initialize = nlohmann::json::parse(
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{}})");
  EXPECT_TRUE(IsInitialize(initialize));
  EXPECT_FALSE(IsInitialize(response));
}

TEST(JsonRpcBody, ShapeProblemsSayWhatIsWrong) {
  EXPECT_EQ(JsonRpcShapeProblem(nlohmann::json::parse(
                R"({"jsonrpc":"2.0","id":1,"method":"ping"})")),
            "");
  EXPECT_EQ(JsonRpcShapeProblem(nlohmann::json::parse(
                R"({"jsonrpc":"2.0","id":1,"result":{}})")),
            "");
  EXPECT_NE(JsonRpcShapeProblem(nlohmann::json(5)), "");
  EXPECT_NE(JsonRpcShapeProblem(nlohmann::json::parse(R"({"id":1,"method":"x"})")), "");
  EXPECT_NE(JsonRpcShapeProblem(nlohmann::json::parse(
                R"({"jsonrpc":"2.0","id":1.5,"method":"x"})")),
            "");
  EXPECT_NE(JsonRpcShapeProblem(nlohmann::json::parse(
                R"({"jsonrpc":"2.0","id":1,"method":3})")),
            "");
  EXPECT_NE(JsonRpcShapeProblem(nlohmann::json::parse(R"({"jsonrpc":"2.0"})")), "");
}

}  // namespace
}  // namespace mcpgw::gateway
