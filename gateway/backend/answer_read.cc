#include "gateway/backend/answer_read.h"

#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// At most this much a read, as Beast's reads.
constexpr std::size_t kMaxReadBytes = 64 * 1024;

// Lets the parser take what is buffered. True when it needs more bytes.
bool ParseBuffered(beast::flat_buffer& buffer, http::basic_parser<false>& parser,
                   beast::error_code& ec) {
  ec = {};
  const std::size_t used = parser.put(buffer.data(), ec);
  buffer.consume(used);
  if (ec != http::error::need_more) return false;
  ec = {};
  return true;
}

}  // namespace

asio::awaitable<beast::error_code> ReadAnswer(BackendConnection& connection,
                                              http::basic_parser<false>& parser,
                                              ReadUntil until) {
  auto& buffer = connection.buffer;
  // As Beast's read of a head: a head already read is not read on into.
  if (until == ReadUntil::kHead && parser.is_header_done()) {
    co_return beast::error_code{};
  }
  for (;;) {
    // What is buffered first: bytes read past the previous answer, or by
    // the read below.
    if (buffer.size() > 0) {
      beast::error_code ec;
      const bool needs_more = ParseBuffered(buffer, parser, ec);
      if (!needs_more && (ec || until == ReadUntil::kProgress ||
                          parser.is_header_done())) {
        co_return ec;
      }
    }
    const std::size_t size = beast::read_size(buffer, kMaxReadBytes);
    if (size == 0) co_return http::error::buffer_overflow;
    const auto space = buffer.prepare(size);
    std::tuple<beast::error_code, std::size_t> result;
    // (Named, not in a condition: GCC 12 and co_await, see mcp_bridge.cc.)
    if (connection.beast_bound) {
      result = co_await connection.stream.async_read_some(space, kUseTuple);
    } else {
      result = co_await connection.stream.socket().async_read_some(space,
                                                                   kUseTuple);
    }
    const auto [read_ec, read] = result;
    buffer.commit(read);
    if (read_ec == asio::error::eof) {
      // An answer that ends with the connection is whole; none begun is
      // Beast's end_of_stream.
      if (!parser.got_some()) co_return http::error::end_of_stream;
      beast::error_code eof_ec;
      parser.put_eof(eof_ec);
      co_return eof_ec;
    }
    if (read_ec) co_return read_ec;
  }
}

}  // namespace mcpgw::gateway
