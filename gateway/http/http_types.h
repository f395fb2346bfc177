#pragma once
// The Beast types the gateway passes around, in one place.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
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

// A request header's value as sent (the first one of that name), if any.
// A walk over the request's few fields, lengths compared first: Beast's
// find walks its tree with case-blind comparisons, some 870 instructions
// a lookup, and the request path makes several (issue 19).
template <typename Name>
std::optional<std::string_view> FindHeader(const Request& request, Name name) {
  for (const auto& field : request) {
    if constexpr (std::is_same_v<std::decay_t<Name>, http::field>) {
      if (field.name() != name) continue;
    } else {
      if (!text::EqualsIgnoreCase(field.name_string(), name)) continue;
    }
    return std::string_view(field.value().data(), field.value().size());
  }
  return std::nullopt;
}

}  // namespace mcpgw::gateway
