#include "gateway/mcp/event_stream.h"

#include <atomic>
#include <charconv>

#include "common/random_token.h"
#include "common/text.h"
#include "gateway/backend/sse.h"

namespace mcpgw::gateway {

std::optional<EventId> ParseEventId(std::string_view id) {
  const auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= id.size()) {
    return std::nullopt;
  }
  EventId parsed;
  parsed.stream_id = std::string(id.substr(0, dash));
  const auto digits = id.substr(dash + 1);
  const auto [end, ec] = std::from_chars(
      digits.data(), digits.data() + digits.size(), parsed.sequence);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return parsed;
}

EventStream::EventStream(std::string stream_id, std::string session,
                         ReplayLimits limits, const common::Clock& clock,
                         std::chrono::milliseconds reconnect_hint)
    : id_(std::move(stream_id)),
      session_(std::move(session)),
      limits_(limits),
      reconnect_hint_(reconnect_hint),
      clock_(clock) {}

void EventStream::Append(std::string_view type, std::string_view data) {
  std::vector<std::function<void()>> wakers;
  {
    MutexLock lock(mutex_);
    const std::string id =
        session_.empty() ? std::string() : text::Cat(id_, "-", next_sequence_);
    AppendWireLocked(FormatSseEvent(id, type, data));
    wakers = TakeWakersLocked();
  }
  for (auto& wake : wakers) wake();
}

void EventStream::AppendWireLocked(std::string wire) {
  const auto now = clock_.Now();
  bytes_ += wire.size();
  undelivered_bytes_ += wire.size();
  events_.push_back(Stored{next_sequence_++, std::move(wire), now});
  DropOldLocked(now);
}

void EventStream::Finish() {
  std::vector<std::function<void()>> wakers;
  {
    MutexLock lock(mutex_);
    if (finished_) return;
    if (reconnect_hint_.count() > 0) {
      AppendWireLocked(FormatSseRetry(reconnect_hint_));
    }
    finished_ = true;
    finished_at_ = clock_.Now();
    wakers = TakeWakersLocked();
  }
  for (auto& wake : wakers) wake();
}

EventStream::Batch EventStream::ReadFrom(std::uint64_t cursor) {
  Batch batch;
  std::vector<std::function<void()>> drain_wakers;
  {
    MutexLock lock(mutex_);
    batch.next = std::max<std::uint64_t>(cursor, 1);
    const std::uint64_t first =
        events_.empty() ? next_sequence_ : events_.front().sequence;
    if (batch.next < first) {
      batch.gone = true;
      return batch;
    }
    for (const auto& event : events_) {
      if (event.sequence < batch.next) continue;
      batch.wire.push_back(event.wire);
      if (event.sequence >= delivered_) {
        undelivered_bytes_ -= event.wire.size();
      }
    }
    batch.next = next_sequence_;
    delivered_ = std::max(delivered_, batch.next);
    batch.finished = finished_;
    DropOldLocked(clock_.Now());
    if (!ShouldPauseLocked()) drain_wakers = TakeDrainWakersLocked();
  }
  for (auto& wake : drain_wakers) wake();
  return batch;
}

void EventStream::AttachWriter() {
  MutexLock lock(mutex_);
  ++writers_;
}

void EventStream::DetachWriter() {
  std::vector<std::function<void()>> drain_wakers;
  {
    MutexLock lock(mutex_);
    --writers_;
    if (!ShouldPauseLocked()) drain_wakers = TakeDrainWakersLocked();
  }
  for (auto& wake : drain_wakers) wake();
}

bool EventStream::ShouldPause() const {
  MutexLock lock(mutex_);
  return ShouldPauseLocked();
}

bool EventStream::ShouldPauseLocked() const {
  return writers_ > 0 && undelivered_bytes_ > limits_.max_bytes;
}

void EventStream::OnDrained(std::function<void()> wake) {
  {
    MutexLock lock(mutex_);
    if (ShouldPauseLocked()) {
      drain_wakers_.push_back(std::move(wake));
      return;
    }
  }
  wake();
}

void EventStream::OnNextChange(std::uint64_t cursor,
                               std::function<void()> wake) {
  {
    MutexLock lock(mutex_);
    if (!finished_ && next_sequence_ <= std::max<std::uint64_t>(cursor, 1)) {
      wakers_.push_back(std::move(wake));
      return;
    }
  }
  wake();  // already changed
}

std::size_t EventStream::bytes() const {
  MutexLock lock(mutex_);
  return bytes_;
}

bool EventStream::finished() const {
  MutexLock lock(mutex_);
  return finished_;
}

bool EventStream::Expired(TimePoint now) const {
  MutexLock lock(mutex_);
  return finished_ && now - finished_at_ > limits_.max_age;
}

void EventStream::DropOldLocked(TimePoint now) {
  // Keep the newest event even when it alone is over the byte limit: a
  // reader that is behind by only that event can still get it. Never drop
  // what an attached writer has yet to send.
  while (events_.size() > 1 && (bytes_ > limits_.max_bytes ||
                                now - events_.front().at > limits_.max_age)) {
    auto& oldest = events_.front();
    const bool undelivered = oldest.sequence >= delivered_;
    if (undelivered && writers_ > 0) break;
    if (undelivered) undelivered_bytes_ -= oldest.wire.size();
    bytes_ -= oldest.wire.size();
    events_.pop_front();
  }
}

std::vector<std::function<void()>> EventStream::TakeDrainWakersLocked() {
  std::vector<std::function<void()>> wakers;
  wakers.swap(drain_wakers_);
  return wakers;
}

std::vector<std::function<void()>> EventStream::TakeWakersLocked() {
  std::vector<std::function<void()>> wakers;
  wakers.swap(wakers_);
  return wakers;
}

namespace {

// "s" + a random prefix drawn once per process + a counter: unique across
// streams, instances, reaps and restarts, without drawing random bytes per
// request. Ids need not be unguessable: a stream resumes only for the
// session it belongs to (McpHandler::Resume), and session ids are sealed.
std::string NewStreamId() {
  static const std::string prefix = text::Cat("s", common::RandomHex(8));
  static std::atomic<std::uint64_t> counter{0};
  return text::Cat(prefix, absl::Hex(counter.fetch_add(1) + 1,
                                      absl::kZeroPad8));
}

}  // namespace

std::shared_ptr<EventStream> EventStreams::Create(const std::string& session) {
  auto stream = std::make_shared<EventStream>(NewStreamId(), session, limits_,
                                               clock_);
  if (session.empty()) return stream;
  MutexLock lock(mutex_);
  PruneLocked(/*whenever=*/false);
  streams_.emplace(stream->id(), stream);
  return stream;
}

std::shared_ptr<EventStream> EventStreams::CreateOpenEnded(
    std::string instance_id, std::chrono::milliseconds reconnect_hint) {
  auto stream = std::make_shared<EventStream>(NewStreamId(), std::string(),
                                              limits_, clock_, reconnect_hint);
  MutexLock lock(mutex_);
  std::erase_if(open_ended_, [](const OpenEnded& entry) {
    return entry.stream.expired();
  });
  open_ended_.push_back(OpenEnded{std::move(instance_id), stream});
  return stream;
}

std::size_t EventStreams::EndOpenEnded(
    std::optional<std::string_view> instance_id) {
  std::vector<std::shared_ptr<EventStream>> open;
  {
    MutexLock lock(mutex_);
    for (const auto& entry : open_ended_) {
      if (instance_id && entry.instance_id != *instance_id) continue;
      if (auto stream = entry.stream.lock()) open.push_back(std::move(stream));
    }
  }
  std::size_t ended = 0;
  for (const auto& stream : open) {
    if (stream->finished()) continue;
    stream->Finish();  // outside the registry's lock: it wakes writers
    ++ended;
  }
  return ended;
}

std::shared_ptr<EventStream> EventStreams::Find(const std::string& stream_id) {
  MutexLock lock(mutex_);
  PruneLocked(/*whenever=*/false);
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second->Expired(clock_.Now())) return nullptr;
  return it->second;
}

void EventStreams::Remove(const std::string& stream_id) {
  MutexLock lock(mutex_);
  streams_.erase(stream_id);
}

EventStreams::Stats EventStreams::stats() {
  MutexLock lock(mutex_);
  PruneLocked(/*whenever=*/true);
  Stats stats;
  stats.streams = streams_.size();
  for (const auto& [id, stream] : streams_) stats.bytes += stream->bytes();
  return stats;
}

void EventStreams::PruneLocked(bool whenever) {
  // A walk over every stream (each one's lock taken) on each request's
  // stream would grow with the streams kept: at most one a second, and
  // Find judges the one it finds itself.
  const auto now = clock_.Now();
  if (!whenever && now - last_prune_ < kPruneInterval) return;
  last_prune_ = now;
  std::erase_if(streams_,
                [now](const auto& entry) { return entry.second->Expired(now); });
}

}  // namespace mcpgw::gateway
