#pragma once
// Event-stream answers, in two halves joined by an EventStream:
//  - the pump reads an instance's SSE answer and appends each event (re-
//    framed with the gateway's id) to the stream; when the answer is cut
//    short it appends a JSON-RPC error for the request still waiting, so a
//    client learns of a crashed instance at once instead of hanging;
//  - the writer sends the stream to a client from a cursor, with keep-alive
//    comments while it is silent.
// Apart, they let a stream outlive its client's connection: a session's
// stream keeps filling while the client reconnects with Last-Event-ID.

#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/relay.h"
#include "gateway/backend/sse.h"
#include "gateway/mcp/event_stream.h"

namespace mcpgw::gateway {

struct PumpJob {
  PumpJob(OpenExchange exchange, runtime::Lease lease,
          std::shared_ptr<EventStream> stream,
          std::shared_ptr<BackendConnections> connections, RelayLimits limits)
      : exchange(std::move(exchange)),
        lease(std::move(lease)),
        stream(std::move(stream)),
        connections(std::move(connections)),
        limits(limits) {}

  OpenExchange exchange;
  runtime::Lease lease;
  std::shared_ptr<EventStream> stream;
  std::shared_ptr<BackendConnections> connections;
  const RelayLimits limits;
  // The id of the request whose answer this stream carries, if any.
  std::optional<nlohmann::json> awaited_id;
  // Set by the writer when nobody will read the rest (a client gone from a
  // stream that cannot be resumed): the pump stops.
  bool abandoned = false;
  bool backend_failed = false;
  // Timed on its stream's clock.
  std::chrono::steady_clock::time_point started = stream->clock().Now();
  std::chrono::steady_clock::duration backend_time{};
  // The answer's events as they are read (PumpWhatIsRead, then the pump).
  SseParser sse;
  std::vector<SseEvent> events;
};

// Takes the part of the answer already read with its head, without waiting
// for more. When that is the whole answer (a short one commonly is), its
// events are on the stream, the stream is finished and the instance
// connection is back in the pool: true, and no pump is needed. Otherwise
// its events so far are on the stream and PumpInstanceEvents reads on.
bool PumpWhatIsRead(PumpJob& job);

// Runs on the client connection's loop until the instance's answer ends
// (or the job is abandoned); then releases the lease. (After
// PumpWhatIsRead, if that returned false.)
asio::awaitable<void> PumpInstanceEvents(std::shared_ptr<PumpJob> job);

// Stops a pump whose reader left: closes its connection to the instance.
void AbandonPump(PumpJob& job);

// Writes `head` (EventStreamHead's, for the client's HTTP `version`) and
// then the stream's events from `cursor` to the client until the stream
// finishes. Returns whether the client got all of it.
asio::awaitable<bool> WriteEventStream(beast::tcp_stream& client,
                                       std::string head, unsigned version,
                                       EventStream& stream,
                                       std::uint64_t cursor,
                                       const RelayLimits& limits,
                                       std::size_t* bytes_out);

}  // namespace mcpgw::gateway
