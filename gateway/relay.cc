#include "gateway/relay.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "gateway/jsonrpc_error.h"
#include "gateway/sse.h"
#include "policies/target.h"
#include "policies/text.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kRelayChunkBytes = 16 * 1024;

}  // namespace

std::string BackendFailureMessage(const beast::error_code& error) {
  return text::Cat("the MCP server behind the gateway did not answer: ",
                   error.message(), "; retry the request");
}

asio::awaitable<bool> RelayAnswer(OpenExchange& exchange,
                                  beast::tcp_stream& client,
                                  bool client_keep_alive,
                                  runtime::Lease& lease,
                                  BackendConnections& connections,
                                  const RelayLimits& limits,
                                  RelayStats& stats,
                                  std::optional<nlohmann::json> awaited_id) {
  auto& parser = *exchange.parser;
  auto& connection = *exchange.connection;
  auto& response = parser.get();
  const bool backend_keep_alive = response.keep_alive();
  stats.status = response.result_int();
  response.keep_alive(client_keep_alive);

  http::serializer<false, http::buffer_body> serializer{response};
  response.body().data = nullptr;
  response.body().size = 0;
  response.body().more = !parser.is_done();
  client.expires_after(limits.client_write_timeout);
  auto [head_ec, head_bytes] =
      co_await http::async_write_header(client, serializer, kUseTuple);
  (void)head_bytes;
  bool client_ok = !head_ec;
  bool backend_ok = true;

  const bool event_stream = IsEventStream(response[http::field::content_type]);
  // The last bytes relayed, to know whether the stream stands between two
  // events (nothing relayed yet counts as between).
  std::string tail;
  const auto between_events = [&tail] {
    return tail.empty() || tail.ends_with("\n\n") || tail.ends_with("\r\r") ||
           tail.ends_with("\r\n\r\n");
  };
  char chunk[kRelayChunkBytes];
  while (client_ok && !serializer.is_done()) {
    if (!parser.is_done()) {
      response.body().data = chunk;
      response.body().size = sizeof(chunk);
      connection.stream.expires_after(limits.backend_idle_timeout);
      auto [read_ec, read] = co_await http::async_read_some(
          connection.stream, connection.buffer, parser, kUseTuple);
      (void)read;
      if (read_ec && read_ec != http::error::need_buffer) {
        // The answer is cut short; the client sees the body end without
        // its final chunk, so it cannot mistake it for a whole answer.
        spdlog::warn("instance {}: answer cut short: {}", lease.instance_id(),
                     read_ec.message());
        backend_ok = false;
        lease.CountError();
        if (event_stream && awaited_id && between_events()) {
          // The answer will never come: say so, as the request's JSON-RPC
          // error, and end the stream properly.
          std::string event = FormatSseEvent(
              "", "message",
              JsonRpcErrorBody(*awaited_id, policies::rpc_code::kBackendFailed,
                               text::Cat("the MCP server behind the gateway "
                                         "stopped before it answered (",
                                         read_ec.message(),
                                         "); retry the request")));
          response.body().data = event.data();
          response.body().size = event.size();
          response.body().more = false;
          client.expires_after(limits.client_write_timeout);
          auto [error_ec, error_bytes] =
              co_await http::async_write(client, serializer, kUseTuple);
          (void)error_bytes;
          client_ok = !error_ec || error_ec == http::error::need_buffer;
          stats.bytes_out += event.size();
          stats.status = response.result_int();
          client.expires_never();
          stats.backend_failed = true;
          stats.client_gone = !client_ok;
          co_return client_ok && client_keep_alive;
        }
        break;
      }
      response.body().size = sizeof(chunk) - response.body().size;
      if (event_stream && response.body().size > 0) {
        tail.append(chunk, response.body().size);
        if (tail.size() > 4) tail.erase(0, tail.size() - 4);
      }
      stats.bytes_out += response.body().size;
      // An empty buffer must be null: an empty non-null one is sent as a
      // chunk of its own, a second terminating chunk.
      response.body().data = response.body().size > 0 ? chunk : nullptr;
      response.body().more = !parser.is_done();
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
  stats.backend_failed = !backend_ok;
  stats.client_gone = !client_ok;

  if (backend_ok && parser.is_done() && backend_keep_alive) {
    connection.stream.expires_never();
    connections.Give(lease.instance_id(), std::move(exchange.connection));
  }
  co_return client_ok && backend_ok && client_keep_alive;
}

}  // namespace mcpgw::gateway
