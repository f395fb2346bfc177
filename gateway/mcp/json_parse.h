#pragma once
// JSON texts from clients and instances, parsed on the hot path by Boost.JSON's
// validating parser (its `basic_parser`, no DOM of its own), which reads a
// request body in about half the time of nlohmann's lexer; the values are
// nlohmann's, as everywhere else in the gateway.
//
// Same results as nlohmann::json::parse(text, nullptr, false): a text Boost.JSON
// refuses (invalid, a byte order mark, nested deeper than kMaxFastDepth) is
// parsed again by nlohmann, so that what is refused, and how, never differs;
// numbers take nlohmann's types (a non-negative integer is unsigned, "-0" an
// integer, a fraction or exponent is a double read by strtod, as nlohmann
// reads it); the last of duplicate keys wins. tests/unit/json_parse_test.cc
// and the fuzz target fuzz_mcp_request_info compare the two. Pure.

#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgw::gateway {

// Deeper texts go to nlohmann's parser: Boost.JSON recurses on the thread's
// stack, nlohmann does not.
inline constexpr std::size_t kMaxFastDepth = 256;

// nlohmann::json::parse(text, nullptr, false): a discarded value when `text`
// is not one JSON value.
nlohmann::json ParseJson(std::string_view text);

// What the top level of a JSON text holds, read without building its value
// (an instance's answer can be large): is it an object, and its "id",
// "method", "result" and "error" members.
struct TopLevelMembers {
  bool valid = false;   // one JSON value
  bool object = false;  // an object
  bool has_id = false;
  // The last "id" when it is a scalar (null, boolean, number, string);
  // nullopt when it is an object or an array, or there is none.
  std::optional<nlohmann::json> scalar_id;
  bool has_method = false;
  bool has_result_or_error = false;
};
TopLevelMembers ScanTopLevel(std::string_view text);

// `a` and `b` are the same value with the same types at every node (where
// nlohmann's == takes 1, 1u and 1.0 as equal): what ParseJson promises
// against nlohmann's parse, checked by its tests and the fuzz target.
bool SameJson(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace mcpgw::gateway
