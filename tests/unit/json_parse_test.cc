// ParseJson and ScanTopLevel read with Boost.JSON what nlohmann's parse
// reads: the same values with the same number types, the same refusals.

#include "gateway/mcp/json_parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcpgw::gateway {
namespace {

nlohmann::json ByNlohmann(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

std::string Nested(int depth) {
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

const std::vector<std::string> kTexts = {
    // Bodies as clients send them.
    R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_sql","arguments":{"sql":"SELECT 1"}}})",
    R"([{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"}])",
    R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"é ✓ 😀"}],"isError":false}})",
    // Numbers: nlohmann's types and strtod's reading.
    "0", "-0", "1", "-1", "0.0", "-0.0", "1e2", "1E-2", "0.1", "2.5e-324",
    "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "123456789012345678901234567890",
    "0.30000000000000004", "3.141592653589793238462643383279",
    R"({"id":-0,"n":[0,-0,1.5,-2]})",
    // Strings, escapes and UTF-8.
    R"("")", R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u0000")", R"("\u00e9\ud83d\ude00")",
    "\"\xc3\xa9\"", "\"a long string that is longer than the small buffer\"",
    // Duplicate keys: the last wins.
    R"({"a":1,"a":2})", R"({"id":1,"id":{"x":1},"id":"z"})",
    // Whitespace around and within.
    " \t\r\n{ \"a\" : [ 1 , 2 ] }\n ", "null", "true", "false", "[]", "{}",
    // Refused by both.
    "", " ", "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", ".1", "+1", "1e",
    "-", "--1", "NaN", "Infinity", "nul", "tru", "[1 2]", "{\"a\" 1}",
    "{1:2}", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
    "\"\\ud800\\u0041\"", "\"\x01\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"",
    "\"\xf4\x90\x80\x80\"", "\"\xc0\xaf\"", "1 2", "{} x", "/* c */ 1",
    "1 // c", std::string("1\0", 2), "[\"a\"", "\"unterminated",
    // A byte order mark (nlohmann skips it), deep nesting (past the fast
    // parser's depth).
    "\xef\xbb\xbf{\"a\":1}", Nested(10), Nested(256), Nested(257), Nested(5000),
};

TEST(ParseJson, SameAsNlohmann) {
  for (const auto& text : kTexts) {
    const nlohmann::json expected = ByNlohmann(text);
    const nlohmann::json parsed = ParseJson(text);
    EXPECT_EQ(parsed.is_discarded(), expected.is_discarded()) << text;
    EXPECT_TRUE(SameJson(parsed, expected))
        << text << ": " << parsed.dump() << " vs " << expected.dump();
  }
}

TEST(ParseJson, NumberTypesAreNlohmanns) {
  EXPECT_TRUE(ParseJson("1").is_number_unsigned());
  EXPECT_TRUE(ParseJson("-1").is_number_integer());
  EXPECT_FALSE(ParseJson("-0").is_number_unsigned());
  EXPECT_TRUE(ParseJson("1.0").is_number_float());
  EXPECT_TRUE(ParseJson("18446744073709551616").is_number_float());
  EXPECT_EQ(ParseJson("0.1").get<double>(), 0.1);
}

TEST(SameJson, TellsTypesApart) {
  EXPECT_FALSE(SameJson(nlohmann::json(1), nlohmann::json(1u)));
  EXPECT_FALSE(SameJson(nlohmann::json(1), nlohmann::json(1.0)));
  EXPECT_FALSE(SameJson(nlohmann::json(0.0), nlohmann::json(-0.0)));
  EXPECT_FALSE(SameJson(ByNlohmann(R"({"a":[1]})"), ByNlohmann(R"({"a":[2]})")));
  EXPECT_TRUE(SameJson(ByNlohmann(R"({"a":[1,{"b":null}]})"),
                       ByNlohmann(R"({"a":[1,{"b":null}]})")));
}

TEST(ScanTopLevel, SameAsTheWholeValue) {
  for (const auto& text : kTexts) {
    const nlohmann::json whole = ByNlohmann(text);
    const TopLevelMembers members = ScanTopLevel(text);
    EXPECT_EQ(members.valid, !whole.is_discarded()) << text;
    EXPECT_EQ(members.object, whole.is_object()) << text;
    if (!whole.is_object()) continue;
    const auto id = whole.find("id");
    EXPECT_EQ(members.has_id, id != whole.end()) << text;
    if (id != whole.end() && !id->is_structured()) {
      ASSERT_TRUE(members.scalar_id.has_value()) << text;
      EXPECT_TRUE(SameJson(*members.scalar_id, *id)) << text;
    } else {
      EXPECT_FALSE(members.scalar_id.has_value()) << text;
    }
    EXPECT_EQ(members.has_method, whole.contains("method")) << text;
    EXPECT_EQ(members.has_result_or_error,
              whole.contains("result") || whole.contains("error"))
        << text;
  }
}

}  // namespace
}  // namespace mcpgw::gateway
