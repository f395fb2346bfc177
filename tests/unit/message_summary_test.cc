// SummarizeMessage: the common request read without its value, and held to
// what the value says (tests/common/message_summary_check.h); everything it
// is not sure of is left to the value.
#include "gateway/mcp/message_summary.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/common/message_summary_check.h"

namespace mcpgw::gateway {
namespace {

using testing::SummaryDifference;

TEST(MessageSummaryTest, ReadsACommonRequest) {
  const auto summary = SummarizeMessage(
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call",)"
      R"("params":{"arguments":{"sql":"SELECT 1","name":3},"name":"execute_sql"}})");
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->method, "tools/call");
  ASSERT_TRUE(summary->id.has_value());
  EXPECT_TRUE(summary->id->is_number_unsigned());
  EXPECT_EQ(*summary->id, 7);
  EXPECT_EQ(summary->name, "execute_sql");
}

TEST(MessageSummaryTest, TakesWhatTheValueWouldSayTheSameOf) {
  for (const std::string body : {
           // A notification, string and negative ids, a list with a cursor.
           R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
           R"({"jsonrpc":"2.0","id":"a-1","method":"ping"})",
           R"({"jsonrpc":"2.0","id":-3,"method":"tools/list","params":{"cursor":"c"}})",
           R"( { "params" : { } , "method" : "resources/read" , "jsonrpc" : "2.0" , "id" : 0 } )",
           // Escapes are decoded, in keys and values.
           R"({"jsonrpc":"2.0","id":"\u00e9\n","meth\u006fd":"tools\/call","params":{"n\u0061me":"q\"x"}})",
           // The last of duplicate keys counts.
           R"({"jsonrpc":"2.0","id":"x","id":2,"method":"x","method":"tools/call"})",
           R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{}})",
           R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1,"name":"b"}})",
           // A name of another type where no method reads it.
           R"({"jsonrpc":"2.0","id":1,"method":"resources/list","params":{"name":[1]}})",
           // Members the gateway does not read, at any depth.
           R"({"jsonrpc":"2.0","id":1,"method":"m","x":{"method":1,"id":[],"params":[]},)"
           R"("params":{"a":{"_meta":1,"name":2},"b":[{"cursor":3}]},"y":[1,"s",null]})",
           R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"tools/call","params":{"name":""}})",
       }) {
    EXPECT_TRUE(SummarizeMessage(body).has_value()) << body;
    EXPECT_EQ(SummaryDifference(body), "") << body;
  }
  const auto escaped = SummarizeMessage(
      R"({"jsonrpc":"2.0","id":"\u00e9\n","meth\u006fd":"tools\/call","params":{"n\u0061me":"q\"x"}})");
  ASSERT_TRUE(escaped.has_value());
  EXPECT_EQ(escaped->method, "tools/call");
  EXPECT_EQ(*escaped->id, "\xc3\xa9\n");
  EXPECT_EQ(escaped->name, "q\"x");
  const auto last = SummarizeMessage(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{}})");
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->name.has_value());
}

TEST(MessageSummaryTest, LeavesEverythingElseToTheValue) {
  for (const std::string body : {
           "", "not json", "{", R"({"jsonrpc":"2.0","method":"m"} x)", "\xef\xbb\xbf{}",
           R"({"jsonrpc":"2.0","id":1,"method":"\xff"})",
           "[]", R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "1", "\"s\"", "null", "{}",
           // initialize: its session is made from its params.
           R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})",
           // params._meta: the 2026-07-28 era reads it.
           R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{}}})",
           // Envelope fields missing or of the wrong type or value.
           R"({"id":1,"method":"ping"})",
           R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
           R"({"jsonrpc":2,"id":1,"method":"ping"})",
           R"({"jsonrpc":"2.0","id":1})",
           R"({"jsonrpc":"2.0","id":1,"result":{}})",
           R"({"jsonrpc":"2.0","id":1,"method":1})",
           R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
           R"({"jsonrpc":"2.0","id":1.0,"method":"ping"})",
           R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
           R"({"jsonrpc":"2.0","id":[1],"method":"ping"})",
           R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[]})",
           R"({"jsonrpc":"2.0","id":1,"method":"ping","params":"p"})",
           R"({"jsonrpc":"2.0","jsonrpc":"2.1","id":1,"method":"ping"})",
           // params fields of the wrong type for their method.
           R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}})",
           R"({"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":{}}})",
           R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":null}})",
           R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":2}})",
           // A duplicate of the wrong type, even where a later one mends it.
           R"({"jsonrpc":"2.0","id":{"a":1},"id":2,"method":"ping"})",
       }) {
    EXPECT_FALSE(SummarizeMessage(body).has_value()) << body;
  }
  // Deeper than Boost.JSON reads: the value's parse (nlohmann) decides.
  const std::string deep =
      R"({"jsonrpc":"2.0","id":1,"method":"m","x":)" + std::string(300, '[') +
      std::string(300, ']') + "}";
  EXPECT_FALSE(SummarizeMessage(deep).has_value());
}

}  // namespace
}  // namespace mcpgw::gateway
