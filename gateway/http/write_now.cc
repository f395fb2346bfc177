#include "gateway/http/write_now.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

namespace mcpgw::gateway {

std::size_t WriteNow(tcp::socket& socket, const WritePieces& pieces,
                     beast::error_code& error) {
  error = {};
  // Once per socket: a blocking socket's write_some would wait for room.
  if (!socket.non_blocking()) {
    socket.non_blocking(true, error);
    if (error) return 0;
  }
  const std::size_t sent = socket.write_some(pieces, error);
  if (error == asio::error::would_block || error == asio::error::try_again) {
    error = {};
    return 0;
  }
  return error ? 0 : sent;
}

asio::awaitable<beast::error_code> WriteRest(
    beast::tcp_stream& stream, const WritePieces& pieces, std::size_t sent,
    std::chrono::steady_clock::duration timeout) {
  beast::buffers_suffix<WritePieces> rest(pieces);
  rest.consume(sent);
  stream.expires_after(timeout);
  auto [error, written] = co_await asio::async_write(
      stream, rest, asio::as_tuple(asio::use_awaitable));
  (void)written;
  stream.expires_never();
  co_return error;
}

}  // namespace mcpgw::gateway
