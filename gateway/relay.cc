#include "gateway/relay.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/header_rewrite.h"
#include "gateway/http_server.h"
#include "gateway/jsonrpc_error.h"
#include "policies/target.h"
#include "policies/text.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kRelayChunkBytes = 16 * 1024;

using BackendParser = http::response_parser<http::buffer_body>;

// Sends the request and reads the response head. On failure `error` says
// why and nothing has reached the client yet.
asio::awaitable<bool> SendAndReadHead(BackendConnection& connection,
                                      Request& backend_request,
                                      BackendParser& parser,
                                      const RelayLimits& limits,
                                      beast::error_code& error) {
  connection.stream.expires_after(limits.backend_idle_timeout);
  auto [write_ec, written] = co_await http::async_write(
      connection.stream, backend_request, kUseTuple);
  (void)written;
  if (write_ec) {
    error = write_ec;
    co_return false;
  }
  auto [read_ec, read] = co_await http::async_read_header(
      connection.stream, connection.buffer, parser, kUseTuple);
  (void)read;
  error = read_ec;
  co_return !read_ec;
}

asio::awaitable<std::unique_ptr<BackendConnection>> Connect(
    const runtime::Endpoint& endpoint, const asio::any_io_executor& executor,
    const RelayLimits& limits, beast::error_code& error) {
  auto connection = std::make_unique<BackendConnection>(executor);
  beast::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    error = ec;
    co_return nullptr;
  }
  connection->stream.expires_after(limits.connect_timeout);
  auto [connect_ec] = co_await connection->stream.async_connect(
      tcp::endpoint(address, endpoint.port), kUseTuple);
  if (connect_ec) {
    error = connect_ec;
    co_return nullptr;
  }
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return connection;
}

asio::awaitable<bool> ReplyBackendFailure(const Request& client_request,
                                          beast::tcp_stream& client,
                                          const runtime::Lease& lease,
                                          const beast::error_code& error,
                                          const RelayLimits& limits) {
  spdlog::warn("instance {}: request failed: {}", lease.instance_id(),
               error.message());
  ErrorReply reply{http::status::bad_gateway, policies::rpc_code::kBackendFailed,
                   text::Cat("the database server (DBHub) did not answer: ",
                                error.message(), "; retry the request"),
                   {}};
  Response response =
      MakeErrorResponse(reply, RequestIdOf(client_request.body()),
                        client_request.version(), client_request.keep_alive());
  const bool written = co_await WriteResponse(client, std::move(response),
                                              limits.client_write_timeout);
  co_return written && client_request.keep_alive();
}

}  // namespace

asio::awaitable<bool> RelayToInstance(const Request& client_request,
                                      beast::tcp_stream& client,
                                      runtime::Lease& lease,
                                      BackendConnections& connections,
                                      const RelayLimits& limits,
                                      RelayStats* stats) {
  RelayStats ignored_stats;
  if (stats == nullptr) stats = &ignored_stats;
  const auto backend_start = std::chrono::steady_clock::now();
  Request backend_request =
      BuildBackendRequest(client_request, lease.endpoint());
  const auto executor = client.get_executor();

  // A pooled connection may have been closed by the instance while idle.
  // When such a connection fails before a single byte of answer came back,
  // the request is sent again once on a fresh connection; a request that got
  // part of an answer is never replayed.
  std::unique_ptr<BackendConnection> connection;
  std::optional<BackendParser> parser;
  beast::error_code error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = attempt == 0 &&
                        (connection = connections.Take(lease.instance_id()));
    if (!reused) {
      connection =
          co_await Connect(lease.endpoint(), executor, limits, error);
      if (connection == nullptr) break;
    }
    parser.emplace();
    parser->body_limit(boost::none);  // streamed, never held whole
    if (co_await SendAndReadHead(*connection, backend_request, *parser, limits,
                                 error)) {
      break;
    }
    connection.reset();
    if (!reused || parser->got_some()) break;
  }
  if (connection == nullptr) {
    stats->status = static_cast<unsigned>(http::status::bad_gateway);
    stats->backend_failed = true;
    stats->backend_time = std::chrono::steady_clock::now() - backend_start;
    lease.CountError();
    co_return co_await ReplyBackendFailure(client_request, client, lease,
                                           error, limits);
  }

  auto& response = parser->get();
  const bool backend_keep_alive = response.keep_alive();
  const bool is_stream = text::StartsWithIgnoreCase(
      response[http::field::content_type], "text/event-stream");
  stats->status = response.result_int();
  CleanBackendResponseHeaders(response.base());
  response.keep_alive(client_request.keep_alive());
  if (is_stream) lease.StreamOpened();

  http::serializer<false, http::buffer_body> serializer{response};
  response.body().data = nullptr;
  response.body().size = 0;
  response.body().more = !parser->is_done();
  client.expires_after(limits.client_write_timeout);
  auto [head_ec, head_bytes] =
      co_await http::async_write_header(client, serializer, kUseTuple);
  (void)head_bytes;
  bool client_ok = !head_ec;
  bool backend_ok = true;

  char chunk[kRelayChunkBytes];
  while (client_ok && !serializer.is_done()) {
    if (!parser->is_done()) {
      response.body().data = chunk;
      response.body().size = sizeof(chunk);
      connection->stream.expires_after(limits.backend_idle_timeout);
      auto [read_ec, read] = co_await http::async_read_some(
          connection->stream, connection->buffer, *parser, kUseTuple);
      (void)read;
      if (read_ec && read_ec != http::error::need_buffer) {
        // The answer is cut short; the client sees the stream end without
        // its final chunk, so it cannot mistake it for a whole answer.
        spdlog::warn("instance {}: answer cut short: {}", lease.instance_id(),
                     read_ec.message());
        backend_ok = false;
        lease.CountError();
        break;
      }
      response.body().size = sizeof(chunk) - response.body().size;
      stats->bytes_out += response.body().size;
      // An empty buffer must be null: an empty non-null one is sent as a
      // chunk of its own, a second terminating chunk.
      response.body().data = response.body().size > 0 ? chunk : nullptr;
      response.body().more = !parser->is_done();
      // Nothing parsed yet (a chunk header, say): an empty write would make
      // the chunked serializer emit its terminating chunk.
      if (response.body().size == 0 && response.body().more) continue;
    } else {
      response.body().data = nullptr;
      response.body().size = 0;
      response.body().more = false;
    }
    client.expires_after(limits.client_write_timeout);
    auto [write_ec, written] =
        co_await http::async_write(client, serializer, kUseTuple);
    (void)written;
    if (write_ec && write_ec != http::error::need_buffer) client_ok = false;
  }
  client.expires_never();
  if (is_stream) lease.StreamClosed();
  stats->backend_time = std::chrono::steady_clock::now() - backend_start;
  stats->backend_failed = !backend_ok;
  stats->client_gone = !client_ok;

  if (backend_ok && parser->is_done() && backend_keep_alive) {
    connection->stream.expires_never();
    connections.Give(lease.instance_id(), std::move(connection));
  }
  co_return client_ok && backend_ok && client_request.keep_alive();
}

}  // namespace mcpgw::gateway
