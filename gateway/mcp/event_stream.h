#pragma once
// The events of one SSE stream the gateway sends, kept for a while so that a
// client whose connection broke can resume with Last-Event-ID (MCP
// "Resumability and Redelivery"). The reader of an instance's answer appends;
// whoever writes to the client reads from a cursor and is woken on change.
//
// Memory is bounded: events a client has been sent are kept only within the
// byte and age limits; events not yet sent to an attached writer are never
// dropped, but then the appender pauses (ShouldPause) until the writer
// catches up, so a slow client slows its instance down instead of filling
// the gateway.
//
// Ids are "<stream id>-<sequence>": the stream id is random, so ids are
// unique within a session across instances, reaps and gateway restarts, and
// they say which stream to resume without any lookup table. Only a stream
// that can be resumed (one with a session) gives its events ids: an id is a
// promise of replay, and a client holding one of a stream nobody keeps
// would reconnect with it and be refused instead of opening a new stream.
//
// An open-ended stream (GET, subscriptions/listen: it ends when its client
// leaves) may carry a reconnection hint: when the gateway ends it (the
// instance stopped, the gateway shutting down) its last event is an SSE
// `retry:` field (2025-11-25, "Resumability and Redelivery"), so the client
// opens a new one after that delay instead of guessing.
//
// Thread-safe; no I/O.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"

namespace mcpgw::gateway {

struct ReplayLimits {
  // Bytes of events kept per stream; the oldest go first.
  std::size_t max_bytes = 1024 * 1024;
  // How long events are kept, and a finished stream stays resumable.
  std::chrono::seconds max_age{300};
};

struct EventId {
  std::string stream_id;
  std::uint64_t sequence = 0;
};
std::optional<EventId> ParseEventId(std::string_view id);

class EventStream {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Ages are measured on `clock`, which outlives the stream.
  EventStream(std::string stream_id, std::string session, ReplayLimits limits,
              const common::Clock& clock,
              std::chrono::milliseconds reconnect_hint = {});

  const std::string& id() const { return id_; }
  // The nonce of the session the stream belongs to (empty: none, and then
  // it cannot be resumed).
  const std::string& session() const { return session_; }
  const common::Clock& clock() const { return clock_; }

  // Appends one event and wakes the readers.
  void Append(std::string_view type, std::string_view data);
  // No more events will come (after the `retry:` hint, if the stream has
  // one); wakes the readers. Only the first call counts.
  void Finish();

  struct Batch {
    std::vector<std::string> wire;  // formatted events, in order
    std::uint64_t next = 0;         // the cursor after them
    bool finished = false;          // and nothing more will come
    bool gone = false;              // events at the cursor were dropped
  };
  // The events from sequence `cursor` on (sequences start at 1).
  Batch ReadFrom(std::uint64_t cursor);

  // Calls `wake` once: at once when the stream already has events from
  // `cursor` on or has finished, else at the next change (from the
  // appending thread, outside the lock).
  void OnNextChange(std::uint64_t cursor, std::function<void()> wake);

  // A writer sending the stream to a client, while it does.
  void AttachWriter();
  void DetachWriter();
  // A writer is attached and more than the byte limit waits for it.
  bool ShouldPause() const;
  // Calls `wake` once, when ShouldPause() turns false (at once if it is).
  void OnDrained(std::function<void()> wake);

  std::size_t bytes() const;
  bool finished() const;
  // Finished longer ago than the age limit.
  bool Expired(TimePoint now) const;

 private:
  struct Stored {
    std::uint64_t sequence;
    std::string wire;
    TimePoint at;
  };
  void AppendWireLocked(std::string wire) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void DropOldLocked(TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool ShouldPauseLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::vector<std::function<void()>> TakeWakersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::vector<std::function<void()>> TakeDrainWakersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string id_;
  const std::string session_;
  const ReplayLimits limits_;
  const std::chrono::milliseconds reconnect_hint_;
  const common::Clock& clock_;
  mutable Mutex mutex_;
  std::deque<Stored> events_ ABSL_GUARDED_BY(mutex_);
  std::uint64_t next_sequence_ ABSL_GUARDED_BY(mutex_) = 1;
  std::size_t bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  // Events from this sequence on have not been sent to any writer yet.
  std::uint64_t delivered_ ABSL_GUARDED_BY(mutex_) = 1;
  std::size_t undelivered_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  int writers_ ABSL_GUARDED_BY(mutex_) = 0;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  TimePoint finished_at_ ABSL_GUARDED_BY(mutex_){};
  std::vector<std::function<void()>> wakers_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::function<void()>> drain_wakers_ ABSL_GUARDED_BY(mutex_);
};

// The resumable streams, by id: streams of sessions that are still running,
// or whose client left before the end.
class EventStreams {
 public:
  EventStreams(ReplayLimits limits, const common::Clock& clock)
      : limits_(limits), clock_(clock) {}

  const ReplayLimits& limits() const { return limits_; }

  // A new stream, registered for resumption when `session` is not empty.
  std::shared_ptr<EventStream> Create(const std::string& session);
  // A stream that ends only when its client leaves (GET, subscriptions/
  // listen), never resumed, fed by instance `instance_id`;
  // `reconnect_hint` as for EventStream (zero: none, for revisions before
  // 2025-11-25).
  std::shared_ptr<EventStream> CreateOpenEnded(
      std::string instance_id, std::chrono::milliseconds reconnect_hint);
  // Finishes the open-ended streams still open (each sends its hint first):
  // every one at shutdown, or those of one instance that is draining, so
  // that their clients reconnect (elsewhere, or to a new instance) instead
  // of holding the drain forever. Returns how many it ended.
  std::size_t EndOpenEnded(std::optional<std::string_view> instance_id = {});
  std::shared_ptr<EventStream> Find(const std::string& stream_id);
  // A stream its client received whole needs no replay.
  void Remove(const std::string& stream_id);

  struct Stats {
    std::size_t streams = 0;
    std::size_t bytes = 0;
  };
  Stats stats();

 private:
  // Drops the expired streams: `whenever` asked, else at most once per
  // kPruneInterval.
  void PruneLocked(bool whenever) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  static constexpr std::chrono::seconds kPruneInterval{1};

  const ReplayLimits limits_;
  const common::Clock& clock_;
  Mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<EventStream>> streams_
      ABSL_GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point last_prune_ ABSL_GUARDED_BY(mutex_){};
  struct OpenEnded {
    std::string instance_id;
    std::weak_ptr<EventStream> stream;
  };
  std::vector<OpenEnded> open_ended_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::gateway
