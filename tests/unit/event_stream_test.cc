#include "gateway/mcp/event_stream.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/manual_clock.h"

namespace mcpgw::gateway {
namespace {

// Where time does not matter: it never moves.
const common::ManualClock kStillClock;

TEST(ParseEventId, ReadsStreamAndSequence) {
  const auto id = ParseEventId("s0a1b2-17");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->stream_id, "s0a1b2");
  EXPECT_EQ(id->sequence, 17u);
  EXPECT_FALSE(ParseEventId("nodash").has_value());
  EXPECT_FALSE(ParseEventId("s-").has_value());
  EXPECT_FALSE(ParseEventId("-5").has_value());
  EXPECT_FALSE(ParseEventId("s-5x").has_value());
  EXPECT_FALSE(ParseEventId("s-99999999999999999999999").has_value());
}

TEST(EventStream, EventsGetIdsOfTheStreamInOrder) {
  EventStream stream("sabc", "session", {}, kStillClock);
  stream.Append("message", "{\"n\":1}");
  stream.Append("message", "{\"n\":2}");
  auto batch = stream.ReadFrom(1);
  ASSERT_EQ(batch.wire.size(), 2u);
  EXPECT_EQ(batch.wire[0], "id: sabc-1\ndata: {\"n\":1}\n\n");
  EXPECT_EQ(batch.wire[1], "id: sabc-2\ndata: {\"n\":2}\n\n");
  EXPECT_EQ(batch.next, 3u);
  EXPECT_FALSE(batch.finished);
  // Resuming after event 1 replays event 2 only.
  batch = stream.ReadFrom(2);
  ASSERT_EQ(batch.wire.size(), 1u);
  EXPECT_EQ(batch.wire[0], "id: sabc-2\ndata: {\"n\":2}\n\n");
  stream.Finish();
  EXPECT_TRUE(stream.ReadFrom(3).finished);
}

TEST(EventStream, DeliveredEventsBeyondTheByteLimitAreDropped) {
  EventStream stream("s", "session", {.max_bytes = 100, .max_age = std::chrono::seconds(60)}, kStillClock);
  const std::string data(40, 'x');
  for (int i = 0; i < 5; ++i) stream.Append("message", data);
  EXPECT_LE(stream.bytes(), 100u + 64u);
  const auto batch = stream.ReadFrom(1);
  EXPECT_TRUE(batch.gone);
  EXPECT_FALSE(stream.ReadFrom(5).gone);
}

TEST(EventStream, AnAttachedWriterKeepsItsEventsAndPausesTheAppender) {
  EventStream stream("s", "session", {.max_bytes = 100, .max_age = std::chrono::seconds(60)}, kStillClock);
  stream.AttachWriter();
  const std::string data(40, 'x');
  for (int i = 0; i < 5; ++i) stream.Append("message", data);
  EXPECT_TRUE(stream.ShouldPause());
  bool drained = false;
  stream.OnDrained([&drained] { drained = true; });
  EXPECT_FALSE(drained);
  const auto batch = stream.ReadFrom(1);
  EXPECT_FALSE(batch.gone);
  EXPECT_EQ(batch.wire.size(), 5u);  // nothing the writer had not sent was lost
  EXPECT_TRUE(drained);
  EXPECT_FALSE(stream.ShouldPause());
  stream.DetachWriter();
}

TEST(EventStream, WakesReadersOnAppendAndFinish) {
  EventStream stream("s", "", {}, kStillClock);
  int woken = 0;
  stream.OnNextChange(1, [&woken] { ++woken; });
  EXPECT_EQ(woken, 0);
  stream.Append("message", "{}");
  EXPECT_EQ(woken, 1);
  // Already past the cursor: woken at once.
  stream.OnNextChange(1, [&woken] { ++woken; });
  EXPECT_EQ(woken, 2);
  stream.OnNextChange(2, [&woken] { ++woken; });
  stream.Finish();
  EXPECT_EQ(woken, 3);
}

TEST(EventStreams, EveryStreamGetsAnIdOfItsOwnThatEventIdsCarry) {
  EventStreams streams({}, kStillClock);
  std::set<std::string> ids;
  std::uint64_t previous = 0;
  for (int i = 0; i < 100; ++i) {
    const auto stream = streams.Create("nonce");
    EXPECT_TRUE(ids.insert(stream->id()).second) << stream->id();
    EXPECT_EQ(stream->id().find('-'), std::string::npos);
    // "s", the process's 16 random hex digits, a counter in 8 or more.
    const std::string& id = stream->id();
    ASSERT_GE(id.size(), 25u) << id;
    EXPECT_EQ(id[0], 's');
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 1), std::string::npos)
        << id;
    const std::uint64_t counter = std::stoull(id.substr(17), nullptr, 16);
    if (i > 0) {
      EXPECT_EQ(counter, previous + 1) << id;
    }
    previous = counter;
    const auto parsed = ParseEventId(stream->id() + "-7");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->stream_id, stream->id());
    EXPECT_EQ(streams.Find(stream->id()), stream);
  }
}

TEST(EventStreams, OnlySessionStreamsAreFoundAgain) {
  EventStreams streams({}, kStillClock);
  auto anonymous = streams.Create("");
  auto owned = streams.Create("nonce");
  EXPECT_EQ(streams.Find(anonymous->id()), nullptr);
  EXPECT_EQ(streams.Find(owned->id()), owned);
  EXPECT_NE(anonymous->id(), owned->id());
  EXPECT_EQ(streams.stats().streams, 1u);
}

TEST(EventStreams, FinishedStreamsExpireAfterTheAgeLimit) {
  common::ManualClock clock;
  EventStreams streams({.max_bytes = 1024, .max_age = std::chrono::seconds(1)}, clock);
  auto owned = streams.Create("nonce");
  owned->Finish();
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(streams.Find(owned->id()), owned);  // still resumable
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(streams.Find(owned->id()), nullptr);
}

TEST(EventStream, AStreamThatCannotBeResumedGivesNoIds) {
  // A client holding an id would reconnect with it and be refused (410)
  // instead of opening a new stream.
  EventStream stream("sabc", "", {}, kStillClock);
  stream.Append("message", "{}");
  const auto batch = stream.ReadFrom(1);
  ASSERT_EQ(batch.wire.size(), 1u);
  EXPECT_EQ(batch.wire[0], "data: {}\n\n");
}

TEST(EventStream, AReconnectHintIsTheLastEventOnceOnly) {
  EventStream stream("s", "", {}, kStillClock, std::chrono::milliseconds(2000));
  stream.Append("message", "{}");
  stream.Finish();
  stream.Finish();  // a second end (pump after shutdown) adds nothing
  const auto batch = stream.ReadFrom(1);
  ASSERT_EQ(batch.wire.size(), 2u);
  EXPECT_EQ(batch.wire[1], "retry: 2000\n\n");
  EXPECT_TRUE(batch.finished);
}

TEST(EventStream, NoHintNoRetryField) {
  EventStream stream("s", "", {}, kStillClock);
  stream.Finish();
  const auto batch = stream.ReadFrom(1);
  EXPECT_TRUE(batch.wire.empty());
  EXPECT_TRUE(batch.finished);
}

TEST(EventStreams, EndOpenEndedFinishesOnlyTheOpenOnesWithTheirHints) {
  EventStreams streams({}, kStillClock);
  auto hinted = streams.CreateOpenEnded("i1", std::chrono::milliseconds(1500));
  auto older_revision = streams.CreateOpenEnded("i1", std::chrono::milliseconds(0));
  auto done = streams.CreateOpenEnded("i1", std::chrono::milliseconds(1500));
  done->Finish();
  auto answer = streams.Create("nonce");  // a POST's answer drains instead
  {
    auto gone = streams.CreateOpenEnded("i1", std::chrono::milliseconds(1500));
  }  // its client left: nothing holds it
  int woken = 0;
  hinted->OnNextChange(1, [&woken] { ++woken; });
  EXPECT_EQ(streams.EndOpenEnded(), 2u);
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(hinted->finished());
  EXPECT_TRUE(older_revision->finished());
  EXPECT_FALSE(answer->finished());
  const auto batch = hinted->ReadFrom(1);
  ASSERT_EQ(batch.wire.size(), 1u);
  EXPECT_EQ(batch.wire[0], "retry: 1500\n\n");
  EXPECT_TRUE(older_revision->ReadFrom(1).wire.empty());
  // Open-ended streams are never found for resumption.
  EXPECT_EQ(streams.Find(hinted->id()), nullptr);
  EXPECT_EQ(streams.EndOpenEnded(), 0u);
}

TEST(EventStreams, ADrainingInstanceEndsOnlyItsOwnOpenEndedStreams) {
  EventStreams streams({}, kStillClock);
  auto drained = streams.CreateOpenEnded("i1", std::chrono::milliseconds(2000));
  auto other = streams.CreateOpenEnded("i2", std::chrono::milliseconds(2000));
  EXPECT_EQ(streams.EndOpenEnded("i1"), 1u);
  EXPECT_TRUE(drained->finished());
  EXPECT_FALSE(other->finished());
  EXPECT_EQ(streams.EndOpenEnded("i3"), 0u);
}

// Replay ages are the injected clock's: an event older than the replay
// window is not replayed, one just within it is.
TEST(EventStream, EventsOlderThanTheReplayWindowAreNotReplayed) {
  common::ManualClock clock;
  EventStream stream("s", "session",
                     {.max_bytes = 1024 * 1024, .max_age = std::chrono::seconds(60)},
                     clock);
  stream.Append("message", "{\"n\":1}");
  clock.Advance(std::chrono::seconds(30));
  stream.Append("message", "{\"n\":2}");
  clock.Advance(std::chrono::seconds(30));
  // Event 1 is exactly as old as the window: still replayed.
  auto batch = stream.ReadFrom(1);
  ASSERT_FALSE(batch.gone);
  EXPECT_EQ(batch.wire.size(), 2u);
  clock.Advance(std::chrono::milliseconds(1));
  stream.Append("message", "{\"n\":3}");
  // Now older than the window: a resume from it is told the events are gone,
  // while a resume after it gets the younger ones.
  EXPECT_TRUE(stream.ReadFrom(1).gone);
  batch = stream.ReadFrom(2);
  ASSERT_FALSE(batch.gone);
  ASSERT_EQ(batch.wire.size(), 2u);
  EXPECT_EQ(batch.wire[0], "id: s-2\ndata: {\"n\":2}\n\n");
}

}  // namespace
}  // namespace mcpgw::gateway
