#pragma once
// A scripted HTTP server on loopback for the Kubernetes client's tests (the
// narrow place where an API server's faults must be injected): one request
// per connection, answered by the test's function on the server's thread.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mcpgw::runtime {

class LoopbackApiServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  // Called for each request; may block (a slow API server).
  using Answer = std::function<Response(const Request&)>;

  explicit LoopbackApiServer(Answer answer)
      : answer_(std::move(answer)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { Serve(); }) {}
  // Whatever `answer` blocks on must be released first.
  ~LoopbackApiServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  LoopbackApiServer(const LoopbackApiServer&) = delete;
  LoopbackApiServer& operator=(const LoopbackApiServer&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  // A 200 with a JSON body.
  static Response Json(std::string body) {
    Response response{boost::beast::http::status::ok, 11};
    response.set(boost::beast::http::field::content_type, "application/json");
    response.body() = std::move(body);
    return response;
  }

 private:
  void Serve() {
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      boost::beast::flat_buffer buffer;
      Request request;
      boost::beast::http::read(socket, buffer, request, ec);
      if (ec) continue;
      Response response = answer_(request);
      response.prepare_payload();
      boost::beast::http::write(socket, response, ec);
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  Answer answer_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace mcpgw::runtime
