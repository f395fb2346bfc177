#include "mcp_load/http_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace mcpgw::loadtest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Errors that mean "the server closed this idle keep-alive connection".
bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

HttpConnection::HttpConnection(asio::any_io_executor executor,
                               tcp::resolver::results_type endpoints)
    : stream_(std::move(executor)), endpoints_(std::move(endpoints)) {}

void HttpConnection::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

asio::awaitable<Exchange> HttpConnection::Attempt(const Request& request, bool& reused,
                                                  bool& got_some) {
  Exchange x;
  reused = connected_;
  got_some = false;
  if (!connected_) {
    auto [ec, ep] = co_await stream_.async_connect(endpoints_, kUseTuple);
    if (ec) {
      x.ec = ec;
      co_return x;
    }
    ++connects_;
    connected_ = true;
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
  }
  if (auto [ec, n] = co_await http::async_write(stream_, request, kUseTuple); ec) {
    x.ec = ec;
    co_return x;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBodyBytes);
  auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
  got_some = parser.got_some();
  if (ec) {
    x.ec = ec;
    co_return x;
  }
  auto& res = parser.get();
  x.status = res.result_int();
  x.content_type = std::string(res[http::field::content_type]);
  x.session_id = std::string(res["Mcp-Session-Id"]);
  x.retry_after = std::string(res[http::field::retry_after]);
  x.body = std::move(res.body());
  if (!res.keep_alive()) Close();
  co_return x;
}

asio::awaitable<Exchange> HttpConnection::RoundTrip(const Request& request,
                                                    std::chrono::nanoseconds timeout) {
  // One budget for connect, write and read, the retry included.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  stream_.expires_at(deadline);
  bool reused = false;
  bool got_some = false;
  Exchange x = co_await Attempt(request, reused, got_some);
  if (x.ec && reused && !got_some && IsStaleConnectionError(x.ec)) {
    Close();
    stream_.expires_at(deadline);
    x = co_await Attempt(request, reused, got_some);
  }
  if (x.ec) {
    x.timed_out = x.ec == beast::error::timeout;
    x.protocol_error =
        &x.ec.category() == &http::make_error_code(http::error::bad_version).category() &&
        x.ec != http::error::end_of_stream;
    Close();
  }
  co_return x;
}

}  // namespace mcpgw::loadtest
