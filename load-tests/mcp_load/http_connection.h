#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace mcpgw::loadtest {

// Largest answer read into memory; anything bigger fails the request.
inline constexpr std::uint64_t kMaxResponseBodyBytes = 64ull * 1024 * 1024;

// The outcome of one HTTP round trip. When `ec` is set, the rest is meaningless.
struct Exchange {
  boost::beast::error_code ec;
  bool timed_out = false;
  bool protocol_error = false;  // ec is a Beast HTTP parse error
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::string session_id;   // Mcp-Session-Id of the answer, if any
  std::string retry_after;  // Retry-After of the answer, if any
};

// One keep-alive HTTP/1.1 connection carrying one request at a time. It connects
// lazily, reconnects when the server asked to close or an error occurred, and
// retries once, on a fresh connection, when a reused connection turns out to have
// been closed by the server while it sat idle (nothing of the answer received).
// Only moves bytes: deciding what the answer means is ClassifyResponse's job.
// Not thread-safe: use it from one strand.
class HttpConnection {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  HttpConnection(boost::asio::any_io_executor executor,
                 boost::asio::ip::tcp::resolver::results_type endpoints);

  // Sends `request` and reads the whole answer; `timeout` covers connect, write
  // and read together. `request` must have its payload prepared.
  boost::asio::awaitable<Exchange> RoundTrip(const Request& request,
                                             std::chrono::nanoseconds timeout);

  // TCP connections opened so far.
  std::uint64_t connects() const { return connects_; }

  void Close();

 private:
  boost::asio::awaitable<Exchange> Attempt(const Request& request, bool& reused,
                                           bool& got_some);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::asio::ip::tcp::resolver::results_type endpoints_;
  bool connected_ = false;
  std::uint64_t connects_ = 0;
};

}  // namespace mcpgw::loadtest
