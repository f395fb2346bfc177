#include "gateway/http/http_server.h"

#include <charconv>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "gateway/http/internal_errors.h"
#include "gateway/http/plain_request.h"
#include "gateway/http/read_deadline.h"
#include "gateway/http/write_now.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A request's first read: a request within a session (some 900 bytes, most
// of them the session id) comes whole, and the buffer (freed while an answer
// is relayed) stays under the 1,024 bytes from which glibc's malloc takes
// its slow path for a block its per-thread cache lacks.
constexpr std::size_t kFirstReadBytes = 1000;

// A refusal for a request that could not even be read whole.
std::optional<ErrorReply> ReadFailureReply(const beast::error_code& ec,
                                           const ServerLimits& limits) {
  if (ec == http::error::body_limit) {
    return ErrorReply{http::status::payload_too_large,
                      policies::rpc_code::kInvalidRequest,
                      text::Cat("request body larger than ",
                                   limits.max_body_bytes, " bytes"),
                      {}};
  }
  if (ec == http::error::header_limit) {
    return ErrorReply{http::status::request_header_fields_too_large,
                      policies::rpc_code::kInvalidRequest,
                      text::Cat("request headers larger than ",
                                   limits.max_header_bytes, " bytes"),
                      {}};
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()
      && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return ErrorReply{http::status::bad_request,
                      policies::rpc_code::kInvalidRequest,
                      text::Cat("malformed HTTP request: ", ec.message()),
                      {}};
  }
  return std::nullopt;
}

// A handler's or a tail's exception: counted and logged. A handler bug
// must cost one request, never the gateway. No client input is meant to get
// here (every field is checked before use): InternalErrorCount() says
// whether something did.
void NoteInternalError(std::string_view failure) {
  InternalErrorCounter().fetch_add(1, std::memory_order_relaxed);
  spdlog::error("internal error: request handler failed: {}", failure);
}

// What reading and handling one request left for its connection.
struct Handled {
  bool read = false;  // a request was read; false: close the connection
  bool keep_alive = false;
};

// What a handler or a tail threw, for the log: never empty.
std::string FailureText(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return *e.what() != '\0' ? e.what() : "exception";
  } catch (...) {
    return "unknown exception";
  }
}

// Writes an error answer. Its own coroutine so that the answer lives in
// this frame, only when there is one: ReadAndHandle's frame, made for every
// request, stays small enough for the allocator's per-thread cache (glibc
// serves at most 1,032 bytes from it; a larger frame takes its slow path).
asio::awaitable<void> WriteErrorReply(beast::tcp_stream& stream,
                                      const ErrorReply& reply,
                                      const ServerLimits& limits) {
  Response response = MakeErrorResponse(reply, nullptr, 11, false);
  co_await WriteResponse(stream, std::move(response), limits.write_timeout);
}

// A handler that threw before answering: a 500 with a JSON-RPC error
// rather than a connection closed on the client.
asio::awaitable<void> WriteInternalError(beast::tcp_stream& stream,
                                         const ServerLimits& limits) {
  // Named, not a temporary inside co_await (GCC 12, see mcp_bridge.cc).
  const ErrorReply reply{http::status::internal_server_error,
                         policies::rpc_code::kInternalError,
                         "internal error in the gateway (logged); the "
                         "request may be retried",
                         {}};
  co_await WriteErrorReply(stream, reply, limits);
}

// "HTTP/1.1 100 Continue": a client that sent "Expect: 100-continue" may
// wait for it before it sends the body (RFC 9110, 10.1.1); without it, such
// a client waited until the read timed out. Its own coroutine, made only
// then.
asio::awaitable<beast::error_code> SendContinue(beast::tcp_stream& stream,
                                                const ServerLimits& limits) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  const WritePieces pieces{asio::buffer(kContinue), asio::const_buffer()};
  beast::error_code ec;
  const std::size_t sent = WriteNow(stream.socket(), pieces, ec);
  if (!ec && sent < kContinue.size()) {
    ec = co_await WriteRest(stream, pieces, sent, limits.write_timeout);
  }
  co_return ec;
}

// Beast reads the request that ParsePlainRequest left to it, from the
// bytes read so far on. Its own coroutine, made only then: the parser (some
// 800 bytes) stays out of ReadAndHandle's frame.
asio::awaitable<beast::error_code> ReadWithBeast(beast::tcp_stream& stream,
                                                 beast::flat_buffer& buffer,
                                                 const ServerLimits& limits,
                                                 Request& request) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(limits.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  auto [ec, bytes] =
      co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  (void)bytes;
  if (!ec && !parser.is_done()) {
    const auto expect = FindHeader(parser.get(), http::field::expect);
    if (expect && AsksToContinue(*expect) && buffer.size() == 0) {
      ec = co_await SendContinue(stream, limits);
    }
    if (!ec) {
      std::tie(ec, bytes) =
          co_await http::async_read(stream, buffer, parser, kUseTuple);
    }
  }
  if (!ec) request = parser.release();
  co_return ec;
}

// Reads one request within the limits and hands it to the handler. The
// request and the error answers live in this frame, which is gone before a
// tail the handler left runs: an open event stream keeps only the
// connection's own small frame.
asio::awaitable<Handled> ReadAndHandle(beast::tcp_stream& stream,
                                       beast::flat_buffer& buffer,
                                       ReadDeadline& read_deadline,
                                       RequestHandler& handler,
                                       const ServerLimits& limits,
                                       std::atomic<int>& active_requests,
                                       ConnectionTail& tail) {
  const PlainRequestLimits plain_limits{limits.max_header_bytes,
                                        limits.max_body_bytes};
  Request request;
  // The read is bound by `read_deadline`, not by Beast's timer (whatever
  // expiry the last write left is cleared).
  stream.expires_never();
  read_deadline.Start(limits.read_timeout);
  beast::error_code ec;
  bool continue_sent = false;
  for (;;) {
    const auto bytes = buffer.data();
    const PlainParse plain = ParsePlainRequest(
        std::string_view(static_cast<const char*>(bytes.data()), bytes.size()),
        plain_limits, request);
    if (plain.outcome == PlainParse::Outcome::kParsed) {
      buffer.consume(plain.consumed);
      break;
    }
    if (plain.outcome == PlainParse::Outcome::kUseBeast) {
      ec = co_await ReadWithBeast(stream, buffer, limits, request);
      break;
    }
    if (plain.awaits_continue && !continue_sent) {
      continue_sent = true;
      ec = co_await SendContinue(stream, limits);
      if (ec) break;
    }
    // Up to 64 KB at a time, as Beast reads; at least kFirstReadBytes.
    auto [read_error, read] = co_await stream.socket().async_read_some(
        buffer.prepare(std::max(kFirstReadBytes,
                                beast::read_size(buffer, kMaxPlainRequestBytes))),
        kUseTuple);
    buffer.commit(read);
    // What the end of the connection means depends on whether part of a
    // request came (Beast's answer).
    if (read_error == asio::error::eof) {
      ec = buffer.size() == 0 ? http::error::end_of_stream
                              : http::error::partial_message;
      break;
    }
    if (read_error) {
      ec = read_error;
      break;
    }
  }
  read_deadline.Stop();
  if (ec) {
    if (auto reply = ReadFailureReply(ec, limits)) {
      co_await WriteErrorReply(stream, *reply, limits);
    }
    co_return Handled{};
  }
  active_requests.fetch_add(1);
  Handled handled{.read = true};
  std::string failure;
  try {
    handled.keep_alive =
        co_await handler.Handle(std::move(request), stream, tail);
  } catch (...) {
    failure = FailureText(std::current_exception());
  }
  if (!failure.empty()) {
    NoteInternalError(failure);
    handled.keep_alive = false;
    tail = nullptr;
    // The usual case: the handler threw before answering.
    co_await WriteInternalError(stream, limits);
  }
  co_return handled;
}

// One coroutine per connection. Its frame stays for as long as the
// connection (an event stream may stay open for hours): it holds only what
// every request needs, the rest is in ReadAndHandle's frame.
asio::awaitable<void> ServeConnection(
    beast::tcp_stream stream, RequestHandler& handler, ServerLimits limits,
    std::shared_ptr<std::atomic<int>> active_requests,
    std::shared_ptr<const std::atomic<bool>> draining) {
  // The relay writes a response head and then each piece of the body as it
  // arrives: with Nagle on, the second small write waits for the client's
  // delayed ACK, some 40 ms per request.
  beast::error_code nodelay_error;
  stream.socket().set_option(tcp::no_delay(true), nodelay_error);
  beast::flat_buffer buffer;
  ReadDeadline read_deadline(stream);
  for (;;) {
    ConnectionTail tail;
    const Handled handled = co_await ReadAndHandle(
        stream, buffer, read_deadline, handler, limits, *active_requests,
        tail);
    if (!handled.read) break;
    bool keep_alive = handled.keep_alive;
    if (tail) {
      // The handler's frames and the request are gone by now; the read
      // buffer goes too while the tail runs (a stream may stay open for
      // hours), unless it holds the start of a next request.
      if (buffer.size() == 0) buffer.shrink_to_fit();
      std::string failure;
      try {
        keep_alive = co_await tail(stream);
      } catch (...) {
        failure = FailureText(std::current_exception());
      }
      // The relay already sent its head: the client sees the cut.
      if (!failure.empty()) {
        NoteInternalError(failure);
        keep_alive = false;
      }
    }
    active_requests->fetch_sub(1);
    // Once the listener stops, a kept-alive connection carries no next
    // request: its client reconnects, to a listener that is up.
    if (!keep_alive || draining->load()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream,
                                    Response response,
                                    std::chrono::seconds timeout) {
  stream.expires_after(timeout);
  auto [ec, bytes] = co_await http::async_write(stream, response, kUseTuple);
  (void)bytes;
  stream.expires_never();
  co_return !ec;
}

absl::StatusOr<tcp::endpoint> ParseHostPort(std::string_view host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        text::Cat("'", host_port, "' is not HOST:PORT"));
  }
  std::string_view host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = host_port.substr(colon + 1);
  std::uint32_t port = 0;
  const auto [end, parse_error] = std::from_chars(
      port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || parse_error != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    return absl::InvalidArgumentError(
        text::Cat("'", host_port, "' has no valid port"));
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return absl::InvalidArgumentError(text::Cat(
        "'", host, "' is not an IP address (use 127.0.0.1, 0.0.0.0, ::1 ...)"));
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

HttpServer::HttpServer(IoThreads& loops, std::string name,
                       RequestHandler& handler, ServerLimits limits)
    : loops_(loops),
      name_(std::move(name)),
      handler_(handler),
      limits_(limits),
      acceptor_(loops.main()),
      active_requests_(std::make_shared<std::atomic<int>>(0)),
      draining_(std::make_shared<std::atomic<bool>>(false)) {}

absl::StatusOr<tcp::endpoint> HttpServer::Listen(std::string_view host_port) {
  auto endpoint = ParseHostPort(host_port);
  if (!endpoint.ok()) return endpoint.status();
  beast::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(text::Cat(
        "cannot listen on ", host_port, " for the ", name_, ": ",
        ec.message()));
  }
  return acceptor_.local_endpoint();
}

void HttpServer::Start() {
  asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached);
}

void HttpServer::StopAccepting() {
  draining_->store(true);
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> HttpServer::AcceptLoop() {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor_.async_accept(
            loops_.NextForConnection().get_executor(), kUseTuple);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // Out of descriptors and the like: log, breathe, keep serving.
      spdlog::warn("{}: accept failed: {}", name_, ec.message());
      asio::steady_timer pause(loops_.main(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor,
                   ServeConnection(beast::tcp_stream(std::move(socket)),
                                   handler_, limits_,
                                   active_requests_, draining_),
                   asio::detached);
  }
}

}  // namespace mcpgw::gateway
