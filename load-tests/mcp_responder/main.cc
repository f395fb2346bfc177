// mcp-responder: a tiny, fast MCP server over Streamable HTTP for the load tests.
// It stands where DBHub stands (same argv and environment as the gateway gives
// DBHub), so that a benchmark measures the proxy in front of it, not the backend:
//   POST /mcp     JSON-RPC (see responder.h), answered in SSE like DBHub
//   GET  /healthz 200 "ok"
// Authorization: when DBHUB_AUTH_TOKEN is set, requests to /mcp must carry
// `Authorization: Bearer <it>` (401 otherwise), as DBHub does.
// Flags (others, such as DBHub's entry script and `--transport http`, are ignored):
//   --port N (or env PORT; required), --host H (or env DBHUB_HOST; default
//   127.0.0.1), --threads N (default 1).
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "mcp_responder/responder.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using mcpgw::loadtest::ResponderAnswer;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kMaxBodyBytes = 1024 * 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(5);

struct Settings {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int threads = 1;
  std::string expected_authorization;  // empty: no check
};

bool ParseSettings(int argc, char** argv, Settings& s) {
  auto number = [](std::string_view text, int& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
  };
  int port = 0;
  if (const char* env = std::getenv("PORT")) number(env, port);
  if (const char* env = std::getenv("DBHUB_HOST")) s.host = env;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    std::string_view name = arg;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc && (arg == "--port" || arg == "--host" || arg == "--threads")) {
      value = argv[++i];
    }
    if (name == "--port" && !number(value, port)) return false;
    if (name == "--host") s.host = std::string(value);
    if (name == "--threads" && (!number(value, s.threads) || s.threads < 1 || s.threads > 64)) {
      return false;
    }
  }
  if (port <= 0 || port > 65535) return false;
  s.port = static_cast<unsigned short>(port);
  if (const char* token = std::getenv("DBHUB_AUTH_TOKEN"); token != nullptr && *token != 0) {
    s.expected_authorization = std::string("Bearer ") + token;
  }
  return true;
}

template <class Body>
void CommonHeaders(http::response<Body>& res, bool keep_alive) {
  res.set(http::field::server, "mcp-responder");
  res.keep_alive(keep_alive);
}

// Writes the head, the first events, one notification per interval and the
// final result, as chunks, while the client stays connected.
asio::awaitable<bool> StreamHold(beast::tcp_stream& stream, const ResponderAnswer& a,
                                 bool keep_alive) {
  http::response<http::empty_body> res{http::status::ok, 11};
  CommonHeaders(res, keep_alive);
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  stream.expires_never();
  if (auto [ec, n] = co_await http::async_write_header(stream, sr, kUseTuple); ec) co_return false;
  if (auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(a.events)),
                                                kUseTuple);
      ec) {
    co_return false;
  }
  asio::steady_timer timer(stream.get_executor());
  const auto end = std::chrono::steady_clock::now() + a.hold;
  for (std::uint64_t seq = 1;; ++seq) {
    const auto next = std::chrono::steady_clock::now() + a.interval;
    timer.expires_at(std::min(next, end));
    co_await timer.async_wait(kUseTuple);
    if (std::chrono::steady_clock::now() >= end) break;
    const std::string note = mcpgw::loadtest::HoldNotification(seq);
    if (auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(note)),
                                                  kUseTuple);
        ec) {
      co_return false;  // the client went away
    }
  }
  if (auto [ec, n] = co_await asio::async_write(
          stream, http::make_chunk(asio::buffer(a.final_event)), kUseTuple);
      ec) {
    co_return false;
  }
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), kUseTuple);
  co_return !ec;
}

asio::awaitable<void> Serve(tcp::socket socket, const Settings& settings) {
  beast::tcp_stream stream(std::move(socket));
  beast::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    stream.expires_after(kIdleTimeout);
    auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (read_ec) break;
    http::request<http::string_body> req = parser.release();
    const bool keep_alive = req.keep_alive();

    http::response<http::string_body> res{http::status::ok, 11};
    CommonHeaders(res, keep_alive);
    if (req.target() == "/healthz" && req.method() == http::verb::get) {
      res.set(http::field::content_type, "text/plain");
      res.body() = "ok";
    } else if (req.target() != "/mcp") {
      res.result(http::status::not_found);
    } else if (req.method() != http::verb::post) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "POST");
    } else if (!settings.expected_authorization.empty() &&
               req[http::field::authorization] != settings.expected_authorization) {
      res.result(http::status::unauthorized);
    } else {
      const ResponderAnswer answer = mcpgw::loadtest::Respond(req.body());
      switch (answer.kind) {
        case ResponderAnswer::Kind::kHold: {
          const bool ok = co_await StreamHold(stream, answer, keep_alive);
          if (!ok || !keep_alive) co_return;
          continue;
        }
        case ResponderAnswer::Kind::kAccepted:
          res.result(http::status::accepted);
          break;
        case ResponderAnswer::Kind::kBadRequest:
          res.result(http::status::bad_request);
          res.set(http::field::content_type, "application/json");
          res.body() = answer.events;
          break;
        case ResponderAnswer::Kind::kSse:
          // Chunked, like DBHub's answers.
          res.set(http::field::content_type, "text/event-stream");
          res.set(http::field::cache_control, "no-cache");
          res.body() = answer.events;
          res.chunked(true);
          break;
      }
    }
    res.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(stream, res, kUseTuple);
    if (write_ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, const Settings& settings) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    asio::co_spawn(socket.get_executor(), Serve(std::move(socket), settings), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!ParseSettings(argc, argv, settings)) {
    std::cerr << "mcp-responder: usage: mcp-responder --port N [--host H] [--threads N]"
                 " (env PORT, DBHUB_HOST, DBHUB_AUTH_TOKEN)\n";
    return 2;
  }
  asio::io_context ioc(settings.threads);
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(settings.host, ec), settings.port);
  if (ec) {
    std::cerr << "mcp-responder: bad host " << settings.host << "\n";
    return 2;
  }
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "mcp-responder: cannot listen on " << settings.host << ":" << settings.port
              << ": " << ec.message() << "\n";
    return 1;
  }
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { ioc.stop(); });
  asio::co_spawn(ioc, Accept(acceptor, settings), asio::detached);
  std::cout << "mcp-responder listening on " << settings.host << ":" << settings.port << std::endl;
  std::vector<std::thread> threads;
  for (int i = 1; i < settings.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}
