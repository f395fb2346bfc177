#pragma once
// The Beast types the gateway passes around, in one place.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string_view>
#include <type_traits>

#include "common/text.h"

namespace mcpgw::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A header's value as sent (the first one of that name), if any, in a
// message or its fields. A walk over the few fields, lengths compared
// first (Beast's enum where the name is one): Beast's find walks its tree
// with case-blind comparisons, some 500-870 instructions a lookup, and a
// request's path makes several (issue 19).
template <typename Fields, typename Name>
std::optional<std::string_view> FindHeader(const Fields& fields, Name name) {
  for (const auto& field : fields) {
    if constexpr (std::is_same_v<std::decay_t<Name>, http::field>) {
      if (field.name() != name) continue;
    } else {
      if (!text::EqualsIgnoreCase(field.name_string(), name)) continue;
    }
    return std::string_view(field.value().data(), field.value().size());
  }
  return std::nullopt;
}

// What a message's keep_alive() says, as Beast reads it (the first
// Connection field's tokens, HTTP/1.0 asking and HTTP/1.1 offering), from
// a walk over the few fields: Beast looks Connection up in its tree, case-
// blind, some 120 instructions for each of the three asks a request makes
// (issue 19).
template <bool kIsRequest, typename Fields>
bool KeepAlive(const http::header<kIsRequest, Fields>& head) {
  for (const auto& field : head) {
    if (field.name() != http::field::connection) continue;
    http::token_list tokens(field.value());  // (its exists is not const)
    return head.version() < 11 ? tokens.exists("keep-alive")
                               : !tokens.exists("close");
  }
  return head.version() >= 11;
}

}  // namespace mcpgw::gateway
