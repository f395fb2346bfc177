#include "gateway/backend/sse_relay.h"

#include <functional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/backend/answer_read.h"
#include "gateway/backend/sse.h"
#include "gateway/backend/wire_head.h"
#include "gateway/http/write_now.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/response_match.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// The pump reads an answer this much at a time; the buffer lives in its
// coroutine frame for as long as the answer streams (a quiet session
// stream holds it), so it is kept small: an event longer than this is
// put together by the SSE parser from several reads.
constexpr std::size_t kPumpChunkBytes = 4 * 1024;

// Appends the events read so far. Whether one answers the request the
// client waits on matters only when the answer is cut short (an error for
// that request is added then): `note_answer` is false for an answer known
// to be whole.
void AppendEvents(PumpJob& job, bool note_answer) {
  for (auto& event : job.events) {
    if (note_answer && job.awaited_id &&
        IsResponseTo(event.data, *job.awaited_id)) {
      job.awaited_id.reset();
    }
    job.stream->Append(event.type, event.data);
  }
  job.events.clear();
}

constexpr std::string_view kEventTooLarge =
    "an event larger than the gateway accepts";

// The connection's buffer for the answer's body, offered to the parser.
char* OfferChunk(PumpJob& job) {
  auto& connection = *job.exchange.connection;
  if (connection.event_chunk == nullptr) {
    connection.event_chunk =
        std::make_unique_for_overwrite<char[]>(kPumpChunkBytes);
  }
  auto& body = job.exchange.parser->get().body();
  body.data = connection.event_chunk.get();
  body.size = kPumpChunkBytes;
  return connection.event_chunk.get();
}

// Feeds what the last parse put in `chunk` to the job's SSE parser; false
// when an event is larger than the gateway accepts.
bool FeedChunk(PumpJob& job, const char* chunk) {
  const std::size_t got =
      kPumpChunkBytes - job.exchange.parser->get().body().size;
  return job.sse.Feed(std::string_view(chunk, got), job.events);
}

// The answer has ended (`ok`: as it should) or the job was abandoned: the
// last events, the connection back to the pool if the instance keeps it,
// or the failure told; the stream finished.
void EndAnswer(PumpJob& job, bool ok, std::string_view failure) {
  auto& parser = *job.exchange.parser;
  job.backend_time = job.stream->clock().Now() - job.started;
  if (ok && !job.abandoned) {
    job.sse.Feed("\n\n", job.events);  // an unterminated last event counts
    AppendEvents(job, /*note_answer=*/false);
    if (KeepAlive(parser.get())) {
      job.connections->Give(job.lease.instance_id(),
                            std::move(job.exchange.connection));
    }
  } else if (!job.abandoned) {
    AppendEvents(job, /*note_answer=*/true);  // the whole ones before it
    spdlog::warn("instance {}: event stream cut short: {}",
                 job.lease.instance_id(), failure);
    job.backend_failed = true;
    job.lease.CountError();
    if (job.awaited_id) {
      // The answer will never come: say so on the stream, as a JSON-RPC
      // error for the waiting request, rather than leave the client hanging.
      job.stream->Append("message",
                         BackendStoppedBody(*job.awaited_id, failure));
    }
  }
  job.exchange.connection.reset();
  job.stream->Finish();
}

// Waits until `subscribe`'s wake-up comes or `timeout` passes; returns
// false on timeout. The wake-up may come from another thread: it is posted
// to the connection's loop, where the timer lives. One that comes before
// the wait starts still cancels it, since the posted handler runs only
// after this coroutine suspends.
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

// How long the head of an event stream waits for the first event, so that
// both leave in one write.
constexpr std::chrono::milliseconds kFirstEventWait{1000};
// `bytes` as body: one chunk, or raw for HTTP/1.0.
void AppendBody(std::string& out, bool chunked, std::string_view bytes) {
  if (!chunked) {
    out.append(bytes);
    return;
  }
  out.append(ChunkSizeLine(bytes.size()).text());
  out.append(bytes);
  out.append(kChunkEnd);
}

// At once when the socket takes it all (write_now.h), else the rest within
// the client write timeout.
asio::awaitable<bool> WriteAll(beast::tcp_stream& client,
                               const std::string& bytes,
                               const RelayLimits& limits) {
  const WritePieces pieces{asio::buffer(bytes), asio::const_buffer()};
  beast::error_code ec;
  const std::size_t sent = WriteNow(client.socket(), pieces, ec);
  if (!ec && sent < bytes.size()) {
    ec = co_await WriteRest(client, pieces, sent, limits.client_write_timeout);
  }
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

bool PumpWhatIsRead(PumpJob& job) {
  auto& parser = *job.exchange.parser;
  auto& buffer = job.exchange.connection->buffer;
  std::string failure;
  // The parser takes what is buffered a part at a time (a chunk's size
  // line, its data); it needs more once the buffer holds only part of one.
  while (!parser.is_done() && buffer.size() > 0) {
    const char* const chunk = OfferChunk(job);
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    const bool needs_more = ec == http::error::need_more;
    if (ec && ec != http::error::need_buffer && !needs_more) {
      failure = ec.message();
      break;
    }
    // (Body bytes before a "need more" count too, should the parser have
    // taken several parts in one call.)
    if (!FeedChunk(job, chunk)) {
      failure = kEventTooLarge;
      break;
    }
    if (needs_more || used == 0) break;
  }
  if (failure.empty() && !parser.is_done()) {
    AppendEvents(job, /*note_answer=*/true);
    return false;
  }
  EndAnswer(job, failure.empty(), failure);
  return true;
}

asio::awaitable<void> PumpInstanceEvents(std::shared_ptr<PumpJob> job) {
  auto& exchange = job->exchange;
  auto& parser = *exchange.parser;
  auto& connection = *exchange.connection;
  const auto here = co_await asio::this_coro::executor;
  job->lease.StreamOpened();
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
    const char* const chunk = OfferChunk(*job);
    connection.StartRead(job->limits.backend_idle_timeout, here);
    const auto read_ec =
        co_await ReadAnswer(connection, parser, ReadUntil::kProgress);
    const auto ec = connection.EndRead(read_ec);
    if (ec && ec != http::error::need_buffer) {
      ok = false;
      failure = ec.message();
      break;
    }
    if (!FeedChunk(*job, chunk)) {
      ok = false;
      failure = kEventTooLarge;
      break;
    }
    AppendEvents(*job, /*note_answer=*/true);
  }
  EndAnswer(*job, ok, failure);
  job->lease.StreamClosed();
  // The lease goes with the job, when its last holder lets go.
}

asio::awaitable<bool> WriteEventStream(beast::tcp_stream& client,
                                       std::string head, unsigned version,
                                       EventStream& stream,
                                       std::uint64_t cursor,
                                       const RelayLimits& limits,
                                       std::size_t* bytes_out) {
  // HTTP/1.0 has no chunks: the stream then ends with the connection.
  const bool chunked = version >= 11;
  // What is ready goes out in one write: the head with the first events (a
  // short answer is then head, event and last chunk in a single segment),
  // later each batch of events. The head waits for the first event a little
  // while, then goes alone.
  std::string out = std::move(head);
  bool head_written = false;
  WriterAttachment attachment(stream);
  while (true) {
    auto batch = stream.ReadFrom(cursor);
    for (const auto& event : batch.wire) {
      AppendBody(out, chunked, event);
      if (bytes_out != nullptr) *bytes_out += event.size();
    }
    cursor = batch.next;
    const bool done = batch.finished || batch.gone;
    if (done && chunked) out += kLastChunk;
    if (done || head_written || !batch.wire.empty()) {
      if (!co_await WriteAll(client, out, limits)) co_return false;
      out.clear();
      head_written = true;
    }
    if (done) break;
    const auto subscribe = [&stream, cursor](std::function<void()> wake) {
      stream.OnNextChange(cursor, std::move(wake));
    };
    const auto wait = head_written
                          ? std::chrono::milliseconds(limits.sse_keepalive)
                          : kFirstEventWait;
    if (!co_await WaitForWake(subscribe, wait)) {
      if (head_written) AppendBody(out, chunked, kSseKeepAlive);
      if (!co_await WriteAll(client, out, limits)) co_return false;
      out.clear();
      head_written = true;
    }
  }
  co_return true;
}

}  // namespace mcpgw::gateway
