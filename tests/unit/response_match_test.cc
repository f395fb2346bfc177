// IsResponseTo reads only the top level of a message; it must judge every
// message as the whole parse does (IsJsonRpcResponse and an equal id).

#include "gateway/mcp/response_match.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {
namespace {

bool ByWholeParse(const std::string& message, const nlohmann::json& id) {
  const auto parsed = nlohmann::json::parse(message, nullptr, false);
  return IsJsonRpcResponse(parsed) && parsed["id"] == id;
}

const std::vector<std::string> kMessages = {
    R"({"jsonrpc":"2.0","id":1,"result":{}})",
    R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}})",
    R"({"jsonrpc":"2.0","id":2,"result":{}})",
    R"({"jsonrpc":"2.0","id":"1","result":{}})",
    R"({"jsonrpc":"2.0","id":"abc","result":{"content":[{"id":1}]}})",
    R"({"jsonrpc":"2.0","id":1.0,"result":{}})",
    R"({"jsonrpc":"2.0","id":-1,"result":null})",
    R"({"jsonrpc":"2.0","id":18446744073709551615,"result":1})",
    R"({"jsonrpc":"2.0","id":null,"error":{}})",
    R"({"jsonrpc":"2.0","id":true,"result":{}})",
    R"({"jsonrpc":"2.0","id":{"id":1},"result":{}})",
    R"({"jsonrpc":"2.0","id":[1],"result":{}})",
    R"({"jsonrpc":"2.0","id":1,"method":"x","result":{}})",
    R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"id":1}})",
    R"({"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{}})",
    R"({"jsonrpc":"2.0","id":1})",
    R"({"jsonrpc":"2.0","result":{"id":1}})",
    R"({"jsonrpc":"2.0","result":{},"id":1})",
    R"({"id":2,"id":1,"result":{}})",
    R"({"id":1,"id":2,"result":{}})",
    R"({"id":1,"result":{"method":"inner","id":7},"x":[{"error":1}]})",
    R"([{"jsonrpc":"2.0","id":1,"result":{}}])",
    R"({"jsonrpc":"2.0","id":1,"result":{}} trailing)",
    R"({"jsonrpc":"2.0","id":1,"result":{})",
    R"({"jsonrpc":"2.0","id":1,"result":"caf\u00e9"})",
    "{\"id\":1,\"result\":\"\xff\"}",
    R"(1)",
    R"("text")",
    "",
    "   ",
};

TEST(IsResponseTo, JudgesEveryMessageAsTheWholeParseDoes) {
  const std::vector<nlohmann::json> ids = {
      1, 2, -1, 0, "1", "abc", nullptr, true, 1.0,
      nlohmann::json(18446744073709551615ULL),
      nlohmann::json::object({{"id", 1}}), nlohmann::json::array({1})};
  int answering = 0;
  for (const auto& id : ids) {
    for (const auto& message : kMessages) {
      const bool expected = ByWholeParse(message, id);
      EXPECT_EQ(IsResponseTo(message, id), expected)
          << "id " << id.dump() << ", message " << message;
      answering += expected ? 1 : 0;
    }
  }
  // The cases are not all of one kind.
  EXPECT_GT(answering, 8);
}

TEST(IsResponseTo, AnAnswerToAnotherRequestIsNotTheAnswer) {
  EXPECT_TRUE(IsResponseTo(R"({"jsonrpc":"2.0","id":7,"result":{}})", 7));
  EXPECT_FALSE(IsResponseTo(R"({"jsonrpc":"2.0","id":8,"result":{}})", 7));
  EXPECT_FALSE(IsResponseTo(
      R"({"jsonrpc":"2.0","method":"notifications/message","params":{"id":7,"result":1}})",
      7));
}

}  // namespace
}  // namespace mcpgw::gateway
