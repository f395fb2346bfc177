#pragma once
// A listener that reads HTTP/1.1 requests within fixed limits and hands each
// one to a RequestHandler. One coroutine per connection, on one of the I/O
// threads' loops (gateway/http/io_threads.h).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "gateway/http/http_types.h"
#include "gateway/http/io_threads.h"

namespace mcpgw::gateway {

struct ServerLimits {
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // Time to receive a whole request head and body, and to wait on an idle
  // keep-alive connection for the next one.
  std::chrono::seconds read_timeout{60};
  // Time a write to a client may stall before the connection is dropped.
  std::chrono::seconds write_timeout{30};
};

// The rest of an answer, left by a handler for its connection to run once
// the handler has returned: a long answer (an event stream may stay open
// for hours) is then relayed with only what the relay needs, while the
// request, its parsed body and the handler's coroutine frames are freed.
// Returns, like Handle, whether the connection may carry another request.
using ConnectionTail =
    std::function<asio::awaitable<bool>(beast::tcp_stream& stream)>;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers `request` on `stream`, or begins to and leaves the rest in
  // `tail`; returns whether the connection may carry another request
  // (with a tail: the tail's answer counts).
  virtual asio::awaitable<bool> Handle(Request request,
                                       beast::tcp_stream& stream,
                                       ConnectionTail& tail) = 0;
};

// Writes a complete response; returns false when the client is gone.
asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream,
                                    Response response,
                                    std::chrono::seconds timeout);

class HttpServer {
 public:
  // Accepts on `loops`' main loop; each connection is served on the next
  // loop, round robin.
  HttpServer(IoThreads& loops, std::string name, RequestHandler& handler,
             ServerLimits limits);

  // Binds `host:port` (port 0: any free port) and returns the bound endpoint.
  absl::StatusOr<tcp::endpoint> Listen(std::string_view host_port);
  void Start();
  // Closes the listening socket; open connections finish the request they
  // carry and then close, kept alive or not.
  void StopAccepting();
  // Requests being handled right now.
  int active_requests() const { return active_requests_->load(); }

 private:
  asio::awaitable<void> AcceptLoop();

  IoThreads& loops_;
  const std::string name_;
  RequestHandler& handler_;
  const ServerLimits limits_;
  tcp::acceptor acceptor_;
  std::shared_ptr<std::atomic<int>> active_requests_;
  std::shared_ptr<std::atomic<bool>> draining_;
};

// "127.0.0.1:8080" -> endpoint; "[::1]:0" too.
absl::StatusOr<tcp::endpoint> ParseHostPort(std::string_view host_port);

}  // namespace mcpgw::gateway
