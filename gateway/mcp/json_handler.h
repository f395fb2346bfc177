#pragma once
// What the gateway's Boost.JSON handlers share (json_parse.cc,
// message_summary.cc): the members every handler must have, numbers typed
// as nlohmann types them, and the one way a text is run through a parser.
// Boost.JSON's compiled part is built once, in json_parse.cc.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/basic_parser_impl.hpp>
#include <nlohmann/json.hpp>

#include "gateway/mcp/json_parse.h"

namespace mcpgw::gateway::json_handler {

namespace bj = boost::json;

// The members every Boost.JSON handler has; the limits are those of the
// text itself (the body limit already bounds it). Numbers, booleans and
// null become nlohmann values, handed to Derived::OnScalar.
template <typename Derived>
class HandlerBase {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    number_text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, bj::string_view s, bj::error_code& ec) {
    return Self().OnScalar(Integer(i, s), ec);
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code& ec) {
    return Self().OnScalar(nlohmann::json(u), ec);
  }
  bool on_double(double, bj::string_view s, bj::error_code& ec) {
    auto value = Double(s);
    if (!value) return Stop(ec);
    return Self().OnScalar(std::move(*value), ec);
  }
  bool on_bool(bool b, bj::error_code& ec) {
    return Self().OnScalar(nlohmann::json(b), ec);
  }
  bool on_null(bj::error_code& ec) {
    return Self().OnScalar(nlohmann::json(nullptr), ec);
  }

  // Ends the parse as a refusal (Run returns false).
  static bool Stop(bj::error_code& ec) {
    ec = bj::error::exponent_overflow;
    return false;
  }

 private:
  Derived& Self() { return static_cast<Derived&>(*this); }

  // A number as nlohmann types it: unsigned when not negative, a double
  // read from its text by strtod (nlohmann's own reading) when it has a
  // fraction or an exponent or does not fit 64 bits.
  nlohmann::json Integer(std::int64_t value, bj::string_view rest) {
    const bool minus = number_text_.empty()
                           ? (!rest.empty() && rest.front() == '-')
                           : number_text_.front() == '-';
    number_text_.clear();
    if (minus) return nlohmann::json(value);
    return nlohmann::json(static_cast<std::uint64_t>(value));
  }
  // nullopt for a number out of a double's range, which nlohmann refuses
  // (Boost.JSON would take it as infinite).
  std::optional<nlohmann::json> Double(bj::string_view rest) {
    number_text_.append(rest.data(), rest.size());
    const double value = std::strtod(number_text_.c_str(), nullptr);
    number_text_.clear();
    if (!std::isfinite(value)) return std::nullopt;
    return nlohmann::json(value);
  }

  std::string number_text_;
};

inline bj::parse_options Options() {
  bj::parse_options options;
  options.max_depth = kMaxFastDepth;
  return options;
}

// Parses `text` with `handler`; false when Boost.JSON refuses it or a
// handler stops it.
template <typename Handler>
bool Run(bj::basic_parser<Handler>& parser, std::string_view text) {
  bj::error_code ec;
  const std::size_t used =
      parser.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size();
}

}  // namespace mcpgw::gateway::json_handler
