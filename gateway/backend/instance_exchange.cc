#include "gateway/backend/instance_exchange.h"

#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include "common/text.h"
#include "gateway/backend/answer_read.h"
#include "gateway/backend/sse.h"
#include "gateway/http/write_now.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<bool> SendAndReadHead(BackendConnection& connection,
                                      const BackendRequest& backend_request,
                                      BackendParser& parser,
                                      const RelayLimits& limits,
                                      const asio::any_io_executor& here,
                                      beast::error_code& error) {
  // Head and body in one gathered write, at once when the socket takes it.
  const std::string head = backend_request.Head();
  const WritePieces pieces{asio::buffer(head),
                           asio::buffer(backend_request.body())};
  beast::error_code write_ec;
  const std::size_t sent =
      WriteNow(connection.stream.socket(), pieces, write_ec);
  if (!write_ec && sent < asio::buffer_size(pieces)) {
    write_ec = co_await WriteRest(connection.stream, pieces, sent,
                                  limits.backend_idle_timeout);
  }
  if (write_ec) {
    error = write_ec;
    co_return false;
  }
  connection.StartRead(limits.backend_idle_timeout, here);
  const auto read_ec =
      co_await ReadAnswer(connection, parser, ReadUntil::kHead);
  error = connection.EndRead(read_ec);
  co_return !error;
}

asio::awaitable<std::unique_ptr<BackendConnection>> Connect(
    const runtime::Endpoint& endpoint, const RelayLimits& limits,
    beast::error_code& error) {
  auto connection = std::make_unique<BackendConnection>(
      co_await asio::this_coro::executor);
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
  connection->stream.expires_never();  // reads: StartRead
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return connection;
}

}  // namespace

asio::awaitable<OpenExchange> SendToInstance(const BackendRequest& backend_request,
                                             const runtime::Lease& lease,
                                             BackendConnections& connections,
                                             const RelayLimits& limits) {
  // Read before the loop: no co_await inside a condition (GCC 12, see
  // mcp_bridge.cc).
  const auto executor = co_await asio::this_coro::executor;
  OpenExchange exchange;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused =
        attempt == 0 &&
        (exchange.connection = connections.Take(lease.instance_id(), executor));
    if (!reused) {
      exchange.connection =
          co_await Connect(lease.endpoint(), limits, exchange.error);
      if (exchange.connection == nullptr) break;
    }
    exchange.parser = std::make_unique<BackendParser>();
    exchange.parser->body_limit(boost::none);  // streamed, never held whole
    if (co_await SendAndReadHead(*exchange.connection, backend_request,
                                 *exchange.parser, limits, executor,
                                 exchange.error)) {
      co_return exchange;
    }
    exchange.connection.reset();
    if (!reused || exchange.parser->got_some()) break;
  }
  exchange.connection.reset();
  co_return exchange;
}

asio::awaitable<std::optional<std::string>> ReadWholeBody(
    OpenExchange& exchange, const runtime::Lease& lease,
    BackendConnections& connections, const RelayLimits& limits,
    std::size_t max_bytes) {
  auto& parser = *exchange.parser;
  auto& connection = *exchange.connection;
  const auto here = co_await asio::this_coro::executor;
  std::string body;
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    connection.StartRead(limits.backend_idle_timeout, here);
    const auto read_ec =
        co_await ReadAnswer(connection, parser, ReadUntil::kProgress);
    const auto ec = connection.EndRead(read_ec);
    if (ec && ec != http::error::need_buffer) co_return std::nullopt;
    body.append(chunk, sizeof(chunk) - parser.get().body().size);
    if (body.size() > max_bytes) co_return std::nullopt;
  }
  if (KeepAlive(parser.get())) {
    connections.Give(lease.instance_id(), std::move(exchange.connection));
  }
  co_return body;
}

bool IsEventStream(std::string_view content_type) {
  return text::StartsWithIgnoreCase(content_type, "text/event-stream");
}

std::vector<nlohmann::json> MessagesOfAnswer(std::string_view content_type,
                                             std::string_view body) {
  std::vector<nlohmann::json> messages;
  const auto add = [&messages](std::string_view json_text) {
    auto json =
        nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (json.is_array()) {
      for (auto& element : json) messages.push_back(std::move(element));
    } else if (json.is_object()) {
      messages.push_back(std::move(json));
    }
  };
  if (IsEventStream(content_type)) {
    SseParser parser;
    std::vector<SseEvent> events;
    parser.Feed(body, events);
    parser.Feed("\n\n", events);  // an unterminated last event still counts
    for (const auto& event : events) {
      if (event.type.empty() || event.type == "message") add(event.data);
    }
  } else {
    add(body);
  }
  return messages;
}

}  // namespace mcpgw::gateway
