#include "gateway/sse_relay.h"

#include <functional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "gateway/jsonrpc_body.h"
#include "gateway/jsonrpc_error.h"
#include "gateway/sse.h"
#include "policies/target.h"
#include "policies/text.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kPumpChunkBytes = 16 * 1024;

// Appends the events in `events`, noting whether one answers the request
// the client waits on.
void AppendEvents(PumpJob& job, std::vector<SseEvent>& events) {
  for (auto& event : events) {
    if (job.awaited_id) {
      const auto message = nlohmann::json::parse(event.data, nullptr, false);
      if (IsJsonRpcResponse(message) && message["id"] == *job.awaited_id) {
        job.awaited_id.reset();
      }
    }
    job.stream->Append(event.type, event.data);
  }
  events.clear();
}

// Waits until `subscribe`'s wake-up comes or `timeout` passes; returns
// false on timeout. The wake-up may come from another thread: it is posted
// to this strand, where the timer lives. One that comes before the wait
// starts still cancels it, since the posted handler runs only after this
// coroutine suspends.
asio::awaitable<bool> WaitForWake(
    const std::function<void(std::function<void()>)>& subscribe,
    std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, timeout);
  subscribe([executor, weak = std::weak_ptr(timer)] {
    asio::post(executor, [weak] {
      if (auto timer = weak.lock()) timer->cancel();
    });
  });
  auto [ec] = co_await timer->async_wait(kUseTuple);
  co_return ec == asio::error::operation_aborted;
}

// Detaches the writer however the write ends.
class WriterAttachment {
 public:
  explicit WriterAttachment(EventStream& stream) : stream_(stream) {
    stream_.AttachWriter();
  }
  ~WriterAttachment() { stream_.DetachWriter(); }
  WriterAttachment(const WriterAttachment&) = delete;
  WriterAttachment& operator=(const WriterAttachment&) = delete;

 private:
  EventStream& stream_;
};

asio::awaitable<bool> WriteBody(beast::tcp_stream& client, bool chunked,
                                std::string_view bytes,
                                const RelayLimits& limits) {
  client.expires_after(limits.client_write_timeout);
  beast::error_code ec;
  if (chunked) {
    auto [write_ec, n] = co_await asio::async_write(
        client, http::make_chunk(asio::buffer(bytes.data(), bytes.size())),
        kUseTuple);
    (void)n;
    ec = write_ec;
  } else {
    auto [write_ec, n] = co_await asio::async_write(
        client, asio::buffer(bytes.data(), bytes.size()), kUseTuple);
    (void)n;
    ec = write_ec;
  }
  client.expires_never();
  co_return !ec;
}

}  // namespace

void AbandonPump(PumpJob& job) {
  job.abandoned = true;
  if (job.exchange.connection != nullptr) {
    beast::error_code ignored;
    job.exchange.connection->stream.socket().cancel(ignored);
  }
}

asio::awaitable<void> PumpInstanceEvents(std::shared_ptr<PumpJob> job) {
  auto& exchange = job->exchange;
  auto& parser = *exchange.parser;
  auto& connection = *exchange.connection;
  job->lease.StreamOpened();
  SseParser sse;
  std::vector<SseEvent> events;
  char chunk[kPumpChunkBytes];
  bool ok = true;
  std::string failure;
  while (!parser.is_done() && !job->abandoned) {
    // A client reading slowly: let the instance wait rather than buffer.
    if (job->stream->ShouldPause()) {
      auto& stream = *job->stream;
      co_await WaitForWake(
          [&stream](std::function<void()> wake) {
            stream.OnDrained(std::move(wake));
          },
          std::chrono::seconds(1));
      continue;
    }
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    connection.stream.expires_after(job->limits.backend_idle_timeout);
    auto [ec, read] = co_await http::async_read_some(
        connection.stream, connection.buffer, parser, kUseTuple);
    (void)read;
    if (ec && ec != http::error::need_buffer) {
      ok = false;
      failure = ec.message();
      break;
    }
    const std::size_t got = sizeof(chunk) - parser.get().body().size;
    if (!sse.Feed(std::string_view(chunk, got), events)) {
      ok = false;
      failure = "an event larger than the gateway accepts";
      break;
    }
    AppendEvents(*job, events);
  }
  job->backend_time = std::chrono::steady_clock::now() - job->started;
  if (ok && !job->abandoned) {
    sse.Feed("\n\n", events);  // an unterminated last event still counts
    AppendEvents(*job, events);
    if (parser.get().keep_alive()) {
      connection.stream.expires_never();
      job->connections->Give(job->lease.instance_id(),
                             std::move(exchange.connection));
    }
  } else if (!job->abandoned) {
    spdlog::warn("instance {}: event stream cut short: {}",
                 job->lease.instance_id(), failure);
    job->backend_failed = true;
    job->lease.CountError();
    if (job->awaited_id) {
      // The answer will never come: say so on the stream, as a JSON-RPC
      // error for the waiting request, rather than leave the client hanging.
      job->stream->Append(
          "message",
          JsonRpcErrorBody(*job->awaited_id,
                           policies::rpc_code::kBackendFailed,
                           text::Cat("the MCP server behind the gateway "
                                     "stopped before it answered (",
                                     failure, "); retry the request")));
    }
  }
  exchange.connection.reset();
  job->stream->Finish();
  job->lease.StreamClosed();
  // The lease goes with the job, when its last holder lets go.
}

asio::awaitable<bool> WriteEventStream(beast::tcp_stream& client,
                                       http::response_header<> head,
                                       unsigned version, bool keep_alive,
                                       EventStream& stream,
                                       std::uint64_t cursor,
                                       const RelayLimits& limits,
                                       std::size_t* bytes_out) {
  http::response<http::empty_body> response{std::move(head)};
  response.version(version);
  response.erase(http::field::content_length);
  response.erase(http::field::transfer_encoding);
  response.set(http::field::content_type, "text/event-stream");
  response.set(http::field::cache_control, "no-cache");
  // HTTP/1.0 has no chunks: the stream then ends with the connection.
  const bool chunked = version >= 11;
  if (chunked) response.chunked(true);
  keep_alive = keep_alive && chunked;
  response.keep_alive(keep_alive);
  http::response_serializer<http::empty_body> serializer{response};
  client.expires_after(limits.client_write_timeout);
  auto [head_ec, head_bytes] =
      co_await http::async_write_header(client, serializer, kUseTuple);
  (void)head_bytes;
  client.expires_never();
  if (head_ec) co_return false;

  WriterAttachment attachment(stream);
  while (true) {
    auto batch = stream.ReadFrom(cursor);
    if (!batch.wire.empty()) {
      std::string bytes;
      for (const auto& event : batch.wire) bytes += event;
      if (!co_await WriteBody(client, chunked, bytes, limits)) co_return false;
      if (bytes_out != nullptr) *bytes_out += bytes.size();
    }
    cursor = batch.next;
    if (batch.finished || batch.gone) break;
    const auto subscribe = [&stream, cursor](std::function<void()> wake) {
      stream.OnNextChange(cursor, std::move(wake));
    };
    if (!co_await WaitForWake(subscribe, limits.sse_keepalive)) {
      if (!co_await WriteBody(client, chunked, kSseKeepAlive, limits)) {
        co_return false;
      }
    }
  }
  if (chunked) {
    client.expires_after(limits.client_write_timeout);
    auto [ec, n] = co_await asio::async_write(client, http::make_chunk_last(),
                                              kUseTuple);
    (void)n;
    client.expires_never();
    if (ec) co_return false;
  }
  co_return keep_alive;
}

}  // namespace mcpgw::gateway
