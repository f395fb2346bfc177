#pragma once
// Test support: a request as Beast's parser reads it from bytes, and a
// comparison of two requests as a handler sees them. Shared by the plain
// request parse's unit test and the HTTP fuzz target, which hold that
// parse to Beast's.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway::testing {

struct BeastRead {
  Request request;
  std::size_t consumed = 0;  // the bytes that were the request
};

// The request at the start of `bytes` as Beast's parser reads it with these
// limits; nullopt when it refuses the bytes or needs more of them.
inline std::optional<BeastRead> ReadWithBeastParser(std::string_view bytes,
                                                    std::size_t header_limit,
                                                    std::size_t body_limit) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
  parser.body_limit(body_limit);
  parser.eager(true);
  std::size_t used = 0;
  while (!parser.is_done()) {
    beast::error_code ec;
    const std::size_t taken = parser.put(
        boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += taken;
    if (ec || taken == 0) return std::nullopt;
  }
  return BeastRead{parser.release(), used};
}

// Empty when `a` and `b` have the same method, target, version, fields (in
// order, names as sent) and body; otherwise what differs first.
inline std::string RequestDifference(const Request& a, const Request& b) {
  if (a.method() != b.method() || a.method_string() != b.method_string()) {
    return "method";
  }
  if (a.target() != b.target()) return "target";
  if (a.version() != b.version()) return "version";
  auto field_a = a.begin();
  auto field_b = b.begin();
  for (; field_a != a.end() && field_b != b.end(); ++field_a, ++field_b) {
    if (field_a->name() != field_b->name() ||
        field_a->name_string() != field_b->name_string()) {
      return "field name " + std::string(field_a->name_string());
    }
    if (field_a->value() != field_b->value()) {
      return "value of " + std::string(field_a->name_string());
    }
  }
  if (field_a != a.end() || field_b != b.end()) return "number of fields";
  if (a.body() != b.body()) return "body";
  return {};
}

}  // namespace mcpgw::gateway::testing
