#include "gateway/backend/sse.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

std::vector<SseEvent> ParseAll(std::string_view bytes) {
  SseParser parser;
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.Feed(bytes, events));
  return events;
}

// `wire` fed in pieces of `step` bytes, as a socket may cut it.
std::vector<SseEvent> ParseInPieces(std::string_view wire, std::size_t step) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::size_t at = 0; at < wire.size(); at += step) {
    EXPECT_TRUE(parser.Feed(wire.substr(at, step), events)) << "at " << at;
  }
  return events;
}

TEST(SseParser, SplitsEventsAcrossArbitraryChunks) {
  const std::string wire =
      "event: message\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n"
      ": a comment\n\ndata: x\ndata: y\n\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    const auto events = ParseInPieces(wire, step);
    ASSERT_EQ(events.size(), 2u) << "chunk size " << step;
    EXPECT_EQ(events[0].type, "message");
    EXPECT_EQ(events[0].id, "7");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "x\ny");
  }
}

TEST(SseParser, CarriageReturnAloneEndsLines) {
  const auto events = ParseAll("data: a\rdata: b\r\r");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb");
}

// CR, LF and CRLF mixed, with lone CRs next to CRLFs, cut at every size:
// "a" ends at CR then an empty CRLF line; "b\nc" ends at an empty CR line.
TEST(SseParser, MixedLineEndsGiveTheSameEventsInAnyChunks) {
  const std::string wire = "data: a\r\r\ndata: b\r\ndata: c\n\r:x\r\n\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    const auto events = ParseInPieces(wire, step);
    ASSERT_EQ(events.size(), 2u) << "chunk size " << step;
    EXPECT_EQ(events[0].data, "a");
    EXPECT_EQ(events[1].data, "b\nc");
  }
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  EXPECT_TRUE(ParseAll("id: 3\nevent: ping\n\n").empty());
  EXPECT_TRUE(ParseAll("data: unterminated").empty());
}

TEST(SseParser, OnlyOneLeadingSpaceIsStripped) {
  const auto events = ParseAll("data:  two\ndata:none\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two\nnone");
}

TEST(SseParser, RefusesAnEventLargerThanTheLimit) {
  SseParser parser;
  std::vector<SseEvent> events;
  const std::string chunk(1024 * 1024, 'x');
  bool ok = parser.Feed("data: ", events);
  for (int i = 0; ok && i < 70; ++i) ok = parser.Feed(chunk, events);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.Feed("\n\n", events));
}

TEST(FormatSseEvent, WritesIdTypeAndOneDataLinePerLine) {
  EXPECT_EQ(FormatSseEvent("s1-1", "message", "{}"), "id: s1-1\ndata: {}\n\n");
  EXPECT_EQ(FormatSseEvent("s1-2", "endpoint", "a\r\nb\rc\nd"),
            "id: s1-2\nevent: endpoint\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(FormatSseEvent, RoundTripsThroughTheParser) {
  const std::string data = "line one\nline two";
  const auto events = ParseAll(FormatSseEvent("x-1", "", data));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, data);
  EXPECT_EQ(events[0].id, "x-1");
}

}  // namespace
}  // namespace mcpgw::gateway
