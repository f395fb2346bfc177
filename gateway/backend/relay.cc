#include "gateway/backend/relay.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cerrno>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "gateway/backend/answer_read.h"
#include "gateway/backend/sse.h"
#include "gateway/backend/wire_head.h"
#include "gateway/http/write_now.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kRelayChunkBytes = 16 * 1024;
// At most what lies between two pieces of a chunked body: the CRLF ending
// one chunk and the next chunk's size line.
constexpr std::size_t kChunkFramingBytes = 32;

// Watches the client's socket while an answer streams to it. A client that
// closes its connection is otherwise noticed only when a write to it fails,
// which on a quiet event stream may be minutes away (and takes two writes:
// the first draws a reset): until then the lease, the instance connection
// and the memory of the stream stay taken. On EOF or an error the pending
// read from the instance is cancelled. (A client that half-closes and still
// reads is taken for gone too, as proxies commonly do.)
class DepartureWatch {
 public:
  DepartureWatch(beast::tcp_stream& client, BackendConnection& backend)
      : client_(client), state_(std::make_shared<State>()) {
    state_->backend = &backend;
    Arm(client_.socket(), state_);
  }
  ~DepartureWatch() {
    // The wait completes later, on the connection's loop; then nothing.
    state_->armed = false;
    beast::error_code ignored;
    client_.socket().cancel(ignored);
  }
  DepartureWatch(const DepartureWatch&) = delete;
  DepartureWatch& operator=(const DepartureWatch&) = delete;

  bool client_gone() const { return state_->client_gone; }

 private:
  struct State {
    bool armed = true;
    bool client_gone = false;
    BackendConnection* backend = nullptr;
  };

  // The completion runs on the socket's executor, the connection's loop,
  // where the relay runs too.
  static void Arm(tcp::socket& socket, std::shared_ptr<State> state) {
    socket.async_wait(
        tcp::socket::wait_read,
        [&socket, state](const beast::error_code& ec) {
          if (!state->armed) return;
          if (!ec) {
            char byte;
            const auto n = ::recv(socket.native_handle(), &byte, 1,
                                  MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) return;  // the next request, pipelined: not gone
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                          errno == EINTR)) {
              Arm(socket, state);
              return;
            }
          }
          state->client_gone = true;
          beast::error_code ignored;
          state->backend->stream.socket().cancel(ignored);
        });
  }

  beast::tcp_stream& client_;
  std::shared_ptr<State> state_;
};

}  // namespace

namespace {

// Writes the answer to the client: the head through Beast's serializer,
// the body after it framed here as the serializer frames it (chunked, or
// as it comes). The serializer goes once the head is out, and the header
// fields with it: a stream would otherwise keep them, and the serializer's
// 400 bytes, for its life.
class ClientWriter {
 public:
  explicit ClientWriter(http::response<http::buffer_body>& response)
      : response_(response),
        chunked_(response.chunked()),
        serializer_(std::make_unique<Serializer>(response)) {}

  bool head_out() const { return serializer_ == nullptr; }
  // The last piece is written.
  bool done() const { return done_; }

  // The head alone (its body marked to come, or not, by `more`).
  asio::awaitable<bool> WriteHead(beast::tcp_stream& client, bool more,
                                  std::chrono::steady_clock::duration timeout) {
    response_.body().data = nullptr;
    response_.body().size = 0;
    response_.body().more = more;
    client.expires_after(timeout);
    auto [ec, written] =
        co_await http::async_write_header(client, *serializer_, kUseTuple);
    (void)written;
    if (!ec) HeadIsOut();
    co_return !ec;
  }

  // One piece of the body, after the head if it is not out yet; `more`:
  // not the last. Returns false when the client is gone.
  asio::awaitable<bool> Write(beast::tcp_stream& client, const char* data,
                              std::size_t size, bool more,
                              std::chrono::steady_clock::duration timeout) {
    client.expires_after(timeout);
    if (serializer_) {
      // An empty buffer must be null: an empty non-null one is sent as a
      // chunk of its own, a second terminating chunk.
      response_.body().data = size > 0 ? const_cast<char*>(data) : nullptr;
      response_.body().size = size;
      response_.body().more = more;
      auto [ec, written] =
          co_await http::async_write(client, *serializer_, kUseTuple);
      (void)written;
      const bool ok = !ec || ec == http::error::need_buffer;
      if (ok && serializer_->is_header_done()) {
        done_ = serializer_->is_done();
        HeadIsOut();
      }
      co_return ok;
    }
    std::array<asio::const_buffer, 4> buffers;
    std::size_t count = 0;
    const ChunkSizeLine size_line(size);  // wire_head.h; lives past the write
    if (!chunked_) {
      if (size > 0) buffers[count++] = asio::buffer(data, size);
    } else {
      if (size > 0) {
        buffers[count++] = asio::buffer(size_line.text());
        buffers[count++] = asio::buffer(data, size);
        buffers[count++] = asio::buffer(kChunkEnd);
      }
      if (!more) buffers[count++] = asio::buffer(kLastChunk);
    }
    if (!more) done_ = true;
    if (count == 0) co_return true;
    auto [ec, written] = co_await asio::async_write(
        client, std::span<const asio::const_buffer>(buffers.data(), count),
        kUseTuple);
    (void)written;
    co_return !ec;
  }

 private:
  using Serializer = http::serializer<false, http::buffer_body>;

  void HeadIsOut() {
    serializer_.reset();
    response_.base().clear();
  }

  http::response<http::buffer_body>& response_;
  const bool chunked_;
  std::unique_ptr<Serializer> serializer_;  // until the head is out
  bool done_ = false;
};

// The last bytes relayed of an event stream, to know whether the stream
// stands between two events (nothing relayed yet counts as between). Four
// bytes in place: a string here would keep an event's size of capacity for
// the stream's life.
class EventBoundary {
 public:
  void Saw(const char* data, std::size_t size) {
    if (size >= bytes_.size()) {
      std::memcpy(bytes_.data(), data + size - bytes_.size(), bytes_.size());
      size_ = bytes_.size();
      return;
    }
    const std::size_t keep = std::min(size_, bytes_.size() - size);
    std::memmove(bytes_.data(), bytes_.data() + size_ - keep, keep);
    std::memcpy(bytes_.data() + keep, data, size);
    size_ = keep + size;
  }
  bool BetweenEvents() const {
    const std::string_view last(bytes_.data(), size_);
    return last.empty() || last.ends_with("\n\n") || last.ends_with("\r\r") ||
           last.ends_with("\r\n\r\n");
  }

 private:
  std::array<char, 4> bytes_{};
  std::size_t size_ = 0;
};

// The usual small answer: HTTP/1.1 with a Content-Length, its body read
// whole with its head. Its size, if so.
std::optional<std::size_t> WholeBodyBuffered(const BackendParser& parser,
                                             const beast::flat_buffer& buffer) {
  const auto& response = parser.get();
  if (parser.is_done() || response.chunked() || response.version() != 11) {
    return std::nullopt;
  }
  const auto length = parser.content_length();
  if (!length || *length > buffer.size()) return std::nullopt;
  return static_cast<std::size_t>(*length);
}

// Relays such an answer straight from the instance connection's buffer:
// head and body in one gathered write (wire_head.h), without a body buffer,
// the serializer or a departure watch (nothing is waited for).
asio::awaitable<bool> RelayWholeAnswer(DeferredRelay& relay,
                                       beast::tcp_stream& client,
                                       std::size_t body_size, RelayStats stats,
                                       bool backend_keep_alive) {
  auto& connection = *relay.exchange.connection;
  const std::string head = ResponseHead(relay.exchange.parser->get());
  const WritePieces pieces{
      asio::buffer(head), asio::buffer(connection.buffer.data(), body_size)};
  beast::error_code write_ec;
  const std::size_t sent = WriteNow(client.socket(), pieces, write_ec);
  if (!write_ec && sent < asio::buffer_size(pieces)) {
    write_ec = co_await WriteRest(client, pieces, sent,
                                  relay.limits.client_write_timeout);
  }
  connection.buffer.consume(body_size);
  stats.bytes_out = body_size;
  stats.client_gone = static_cast<bool>(write_ec);
  // The instance's answer was read whole: its connection may serve another
  // request whatever became of the client.
  if (backend_keep_alive) {
    relay.connections->Give(relay.lease.instance_id(),
                            std::move(relay.exchange.connection));
  }
  if (relay.finished) relay.finished(stats);
  co_return !write_ec && relay.client_keep_alive;
}

// Lets `parser` take what `buffer` holds up to the next body bytes (the
// next chunk's size line, the last chunk). Returns whether the parser
// needs bytes from the instance to go on: nothing is buffered, or only the
// start of a line it cannot take yet (the CRLF that ends a chunk is read
// with the next size line). Errors are left for the next read of the
// parser, which meets them again.
bool TakeBufferedFraming(BackendParser& parser, beast::flat_buffer& buffer) {
  auto& body = parser.get().body();
  body.data = nullptr;
  body.size = 0;
  while (buffer.size() > 0 && !parser.is_done()) {
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) return true;
    if (ec || used == 0) return false;
  }
  return buffer.size() == 0 && !parser.is_done();
}

// Puts `first`, a byte the wait for the instance read, into the
// connection's buffer with what arrived with it (no more than a chunk's
// worth, without waiting): a piece is as large as what the instance wrote,
// not one byte.
void TakeArrived(BackendConnection& connection, char first) {
  auto& socket = connection.stream.socket();
  beast::error_code ignored;
  const std::size_t ready =
      std::min(socket.available(ignored), kRelayChunkBytes);
  char* space = static_cast<char*>(connection.buffer.prepare(1 + ready).data());
  space[0] = first;
  std::size_t also = 0;
  if (ready > 0) also = socket.read_some(asio::buffer(space + 1, ready), ignored);
  connection.buffer.commit(1 + also);
}

// The relay of a DeferredRelay, as the connection's tail: one coroutine
// frame for the whole stream.
asio::awaitable<bool> RelayAnswer(std::shared_ptr<DeferredRelay> relay,
                                  beast::tcp_stream& client) {
  auto& parser = *relay->exchange.parser;
  auto& connection = *relay->exchange.connection;
  const auto here = co_await asio::this_coro::executor;
  auto& lease = relay->lease;
  const RelayLimits& limits = relay->limits;
  const bool client_keep_alive = relay->client_keep_alive;
  RelayStats stats;
  auto& response = parser.get();
  const bool backend_keep_alive = KeepAlive(response);
  const bool event_stream = IsEventStream(
      FindHeader(response, http::field::content_type).value_or(""));
  stats.status = response.result_int();
  response.keep_alive(client_keep_alive);
  if (const auto body_size = WholeBodyBuffered(parser, connection.buffer)) {
    co_return co_await RelayWholeAnswer(*relay, client, *body_size, stats,
                                        backend_keep_alive);
  }

  ClientWriter writer(response);
  // The head goes out alone only when the body is not there yet (the
  // client sees the status at once; an event stream may stay quiet). A
  // body already read with the head, the usual small JSON answer, goes
  // out with the head in one write.
  bool client_ok = true;
  if (parser.is_done() || connection.buffer.size() == 0) {
    client_ok = co_await writer.WriteHead(client, !parser.is_done(),
                                          limits.client_write_timeout);
  }
  bool backend_ok = true;
  // The stream ended with the MCP layer's last event after the instance
  // failed between two events: ended properly, the connection may go on.
  bool ended_cleanly = false;
  // Armed before the first read that waits on the instance.
  std::optional<DepartureWatch> watch;

  EventBoundary boundary;
  // The body goes through `chunk` only while bytes flow: the wait for the
  // instance has no body buffer (the bytes that end it stay in the
  // connection's buffer until a chunk takes them), and the chunk goes once
  // nothing but chunk framing is buffered. An open, quiet stream then holds
  // no chunk.
  std::unique_ptr<char[]> chunk;
  std::size_t chunk_size = 0;
  while (client_ok && !writer.done()) {
    // The piece to write: `got` bytes of `chunk`; `more`: not the last.
    std::size_t got = 0;
    bool more = false;
    if (!parser.is_done()) {
      if (connection.buffer.size() == 0 && !writer.head_out()) {
        // The next read waits on the instance: the client has the head
        // meanwhile.
        // (Not inside the condition: GCC 12 and co_await, see mcp_bridge.cc.)
        const bool sent = co_await writer.WriteHead(
            client, true, limits.client_write_timeout);
        if (!sent) {
          client_ok = false;
          break;
        }
      }
      // Once the head is out, any read may wait on the instance (what is
      // buffered, such as the CRLF that ends a chunk, need not hold a whole
      // piece): the client's leaving is watched for from then on. An answer
      // that came whole with its head is relayed without a watch.
      if (writer.head_out() && !watch) watch.emplace(client, connection);
      if (watch && watch->client_gone()) {
        client_ok = false;
        break;
      }
      response.body().data = nullptr;
      response.body().size = 0;
      connection.StartRead(limits.backend_idle_timeout, here);
      beast::error_code read_ec;
      if (watch) {
        // A stream's long wait for the instance's next event holds no read
        // buffer: the framing left buffered is parsed first, and when the
        // parser needs more the wait is for one byte, outside the buffer,
        // which shrinks to what it holds meanwhile (a read of the parser
        // would hold 512 bytes of it).
        if (TakeBufferedFraming(parser, connection.buffer)) {
          connection.buffer.shrink_to_fit();
          char first = 0;
          auto [wait_ec, waited] = co_await connection.stream.async_read_some(
              asio::buffer(&first, 1), kUseTuple);
          if (waited == 1) TakeArrived(connection, first);
          if (wait_ec == asio::error::eof) {
            // The instance closed the connection: the parser tells a whole
            // answer (one that ends with the connection) from a cut, as a
            // read of the parser does there. No second read: after a short
            // read Asio waits for epoll's next edge, and the end of the
            // connection gives only one.
            wait_ec = {};
            parser.put_eof(wait_ec);
          }
          read_ec = wait_ec;
        }
      }
      if (!read_ec && !parser.is_done()) {
        read_ec = co_await ReadAnswer(connection, parser, ReadUntil::kProgress);
      }
      if (read_ec == http::error::need_buffer) {
        // Body bytes are buffered: this read only parses them.
        // No larger than what is buffered: an event's few hundred bytes.
        const std::size_t want =
            std::min(kRelayChunkBytes, connection.buffer.size());
        if (chunk_size < want) {
          chunk = std::make_unique_for_overwrite<char[]>(want);
          chunk_size = want;
        }
        response.body().data = chunk.get();
        response.body().size = chunk_size;
        read_ec = co_await ReadAnswer(connection, parser, ReadUntil::kProgress);
        got = chunk_size - response.body().size;
      }
      read_ec = connection.EndRead(read_ec);
      if (read_ec && read_ec != http::error::need_buffer && watch &&
          watch->client_gone()) {
        // Cancelled: nobody reads the rest. The instance connection, mid-
        // answer, is closed rather than pooled.
        client_ok = false;
        break;
      }
      if (read_ec && read_ec != http::error::need_buffer) {
        // The answer is cut short; the client sees the body end without
        // its final chunk, so it cannot mistake it for a whole answer.
        spdlog::warn("instance {}: answer cut short: {}", lease.instance_id(),
                     read_ec.message());
        backend_ok = false;
        lease.CountError();
        const bool end_with_event =
            event_stream && relay->ending && boundary.BetweenEvents();
        if (!writer.head_out() && !end_with_event) {
          // The client gets the head and a body that ends short, as when
          // the cut comes later.
          client_ok = co_await writer.WriteHead(client, true,
                                                limits.client_write_timeout);
          break;
        }
        if (end_with_event) {
          // The answer will never come: end the stream properly, with what
          // the MCP layer has to say about it.
          const std::string event =
              FormatSseEvent("", "message", relay->ending(read_ec.message()));
          client_ok = co_await writer.Write(client, event.data(), event.size(),
                                            false, limits.client_write_timeout);
          stats.bytes_out += event.size();
          ended_cleanly = true;
        }
        break;
      }
      if (event_stream && got > 0) boundary.Saw(chunk.get(), got);
      stats.bytes_out += got;
      more = !parser.is_done();
      // Nothing parsed yet (a chunk header, say): nothing to write, and an
      // empty last piece would end the body.
      if (got == 0 && more) continue;
    }
    // (Not inside an expression: GCC 12 and co_await, see mcp_bridge.cc.)
    const bool written = co_await writer.Write(client, chunk.get(), got, more,
                                               limits.client_write_timeout);
    if (!written) client_ok = false;
    // What stays buffered after a piece is usually only the CRLF that ends
    // its chunk (and perhaps the next size line): the chunk goes then too,
    // or a quiet stream would keep its last event's size of it.
    if (connection.buffer.size() <= kChunkFramingBytes) {
      chunk.reset();
      chunk_size = 0;
    }
  }
  watch.reset();
  client.expires_never();
  stats.backend_failed = !backend_ok;
  stats.client_gone = !client_ok;

  if (backend_ok && parser.is_done() && backend_keep_alive) {
    relay->connections->Give(lease.instance_id(),
                             std::move(relay->exchange.connection));
  }
  if (relay->finished) relay->finished(stats);
  co_return client_ok && (backend_ok || ended_cleanly) && client_keep_alive;
}

}  // namespace

ConnectionTail DeferRelay(std::shared_ptr<DeferredRelay> relay) {
  return [relay = std::move(relay)](beast::tcp_stream& client) {
    return RelayAnswer(relay, client);
  };
}

}  // namespace mcpgw::gateway
