// ParsePlainRequest: the requests it takes, it takes as Beast's parser
// does (tests/common/beast_request_read.h compares the two); everything
// else it leaves to Beast, at once where a byte already tells.

#include "gateway/http/plain_request.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/common/beast_request_read.h"

namespace mcpgw::gateway {
namespace {

using Outcome = PlainParse::Outcome;

constexpr PlainRequestLimits kLimits{.max_header_bytes = 16 * 1024,
                                     .max_body_bytes = 4 * 1024 * 1024};

PlainParse Parse(std::string_view bytes, Request& request,
                 PlainRequestLimits limits = kLimits) {
  return ParsePlainRequest(bytes, limits, request);
}

Outcome OutcomeOf(std::string_view bytes, PlainRequestLimits limits = kLimits) {
  Request request;
  return Parse(bytes, request, limits).outcome;
}

std::string SessionRequest() {
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}})";
  return "POST /mcp HTTP/1.1\r\n"
         "Host: 127.0.0.1:8080\r\n"
         "Content-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n"
         "X-DBHub-DSN: sqlite:///data/app.db\r\n"
         "Mcp-Session-Id: mcps1_" + std::string(500, 'A') + "\r\n"
         "MCP-Protocol-Version: 2025-06-18\r\n"
         "Connection: keep-alive\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Parsed here, and the same as Beast reads it, with the same bytes taken.
void ExpectSameAsBeast(std::string_view bytes,
                       PlainRequestLimits limits = kLimits) {
  Request request;
  const PlainParse plain = Parse(bytes, request, limits);
  ASSERT_EQ(plain.outcome, Outcome::kParsed) << bytes;
  const auto beast = testing::ReadWithBeastParser(
      bytes, limits.max_header_bytes, limits.max_body_bytes);
  ASSERT_TRUE(beast.has_value()) << bytes;
  EXPECT_EQ(plain.consumed, beast->consumed) << bytes;
  EXPECT_EQ(testing::RequestDifference(request, beast->request), "") << bytes;
}

TEST(PlainRequestTest, ReadsARequestWithinASessionAsBeastDoes) {
  const std::string bytes = SessionRequest();
  ExpectSameAsBeast(bytes);
  Request request;
  ASSERT_EQ(Parse(bytes, request).outcome, Outcome::kParsed);
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/mcp");
  EXPECT_EQ(request.version(), 11);
  EXPECT_EQ(request["Mcp-Session-Id"].size(), 506u);
  EXPECT_EQ(*FindHeader(request, http::field::content_type), "application/json");
  EXPECT_TRUE(request.keep_alive());
  EXPECT_EQ(request.body().substr(0, 10), R"({"jsonrpc")");
}

TEST(PlainRequestTest, EveryCutShortOfTheWholeRequestAsksForMore) {
  const std::string bytes = SessionRequest();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_EQ(OutcomeOf(std::string_view(bytes).substr(0, size)),
              Outcome::kNeedMore)
        << "cut at " << size;
  }
}

TEST(PlainRequestTest, TakesOnlyTheFirstOfPipelinedRequests) {
  const std::string one = SessionRequest();
  const std::string two = one + "GET /healthz HTTP/1.0\r\n\r\n";
  Request request;
  const PlainParse first = Parse(two, request);
  ASSERT_EQ(first.outcome, Outcome::kParsed);
  EXPECT_EQ(first.consumed, one.size());
  ExpectSameAsBeast(two);
  ExpectSameAsBeast(std::string_view(two).substr(one.size()));
}

TEST(PlainRequestTest, TrimsValuesAndKeepsNamesAsSentLikeBeast) {
  ExpectSameAsBeast("GET /mcp?x=1 HTTP/1.0\r\nHost:a\r\nX-Empty:\r\n"
                    "x-dbhub-dsn: \t sqlite:///a.db \t \r\n"
                    "X-Tabbed: a\tb  c\r\nCONNECTION: Close\r\n\r\n");
  ExpectSameAsBeast("DELETE /mcp HTTP/1.1\r\nContent-Length: 000\r\n\r\n");
  ExpectSameAsBeast("OPTIONS * HTTP/1.1\r\n\r\n");
}

TEST(PlainRequestTest, LeavesWhatIsNotPlainToBeast) {
  using namespace std::string_literals;  // a NUL inside a literal
  const std::string not_plain[] = {
      "POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n"s,  // folded line
      "POST /mcp HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"s,
      "POST /mcp HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx"s,
      "POST /mcp HTTP/1.1\r\nContent-Length: -1\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nProxy-Connection: close\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n"s,
      "post /mcp HTTP/1.1\r\n\r\n"s,
      "BREW /pot HTTP/1.1\r\n\r\n"s,
      "GET /mcp HTTP/2.0\r\n\r\n"s,
      "GET /mcp HTTP/1.2\r\n\r\n"s,
      "GET /mcp HTTP/1.1\nHost: a\n\n"s,
      "GET /mcp HTTP/1.1\r\nHost: a\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nX-Bytes: caf\xc3\xa9\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nX-Nul: a\0b\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\nHost : a\r\n\r\n"s,
      "GET /mcp HTTP/1.1\r\n: a\r\n\r\n"s,
      "GET  /mcp HTTP/1.1\r\n\r\n"s,
      "GET /m\x7f HTTP/1.1\r\n\r\n"s,
      "\r\nGET /mcp HTTP/1.1\r\n\r\n"s,
  };
  for (const std::string& bytes : not_plain) {
    EXPECT_EQ(OutcomeOf(bytes), Outcome::kUseBeast) << bytes;
  }
}

TEST(PlainRequestTest, AWrongByteGoesToBeastWithoutWaitingForTheLineEnd) {
  EXPECT_EQ(OutcomeOf("GET /mcp HTTP/1.2"), Outcome::kUseBeast);
  EXPECT_EQ(OutcomeOf("GET /mcp HTTX"), Outcome::kUseBeast);
  EXPECT_EQ(OutcomeOf("GET /mcp HTTP/1.1\r\nX-A: \x01"), Outcome::kUseBeast);
  EXPECT_EQ(OutcomeOf("GET /mcp HTTP/1.1\r\nX A"), Outcome::kUseBeast);
  EXPECT_EQ(OutcomeOf("GET /mcp HTTP/1.1\r\nX-A: b"), Outcome::kNeedMore);
}

TEST(PlainRequestTest, SaysWhenAClientWaitsForContinue) {
  const std::string head =
      "POST /mcp HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  Request request;
  PlainParse parse = Parse(head, request);
  EXPECT_EQ(parse.outcome, Outcome::kNeedMore);
  EXPECT_TRUE(parse.awaits_continue);
  // Part of the body came: the client is sending it, not waiting.
  parse = Parse(head + "ab", request);
  EXPECT_EQ(parse.outcome, Outcome::kNeedMore);
  EXPECT_FALSE(parse.awaits_continue);
  ExpectSameAsBeast(head + "abcd");
  // Without the expectation, or with another one, nobody waits.
  EXPECT_FALSE(Parse("POST /mcp HTTP/1.1\r\nContent-Length: 4\r\n\r\n",
                     request).awaits_continue);
  EXPECT_FALSE(Parse("POST /mcp HTTP/1.1\r\nExpect: x\r\nContent-Length: 4\r\n\r\n",
                     request).awaits_continue);
}

TEST(PlainRequestTest, LeavesHeadsAndBodiesOverTheLimitsToBeast) {
  const std::string head = "GET /mcp HTTP/1.1\r\nX-Pad: " +
                           std::string(100, 'p') + "\r\n\r\n";
  // A head one byte under the limit is plain; at the limit, Beast decides.
  PlainRequestLimits limits = kLimits;
  limits.max_header_bytes = head.size() + 1;
  ExpectSameAsBeast(head, limits);
  limits.max_header_bytes = head.size();
  EXPECT_EQ(OutcomeOf(head, limits), Outcome::kUseBeast);
  // An unfinished head that already fills the limit (Beast refuses it);
  // under the limit both wait for more.
  limits.max_header_bytes = 60;
  EXPECT_EQ(OutcomeOf(head.substr(0, 60), limits), Outcome::kUseBeast);
  EXPECT_EQ(OutcomeOf(head.substr(0, 59), limits), Outcome::kNeedMore);

  limits = kLimits;
  limits.max_body_bytes = 4;
  EXPECT_EQ(OutcomeOf("POST /mcp HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345",
                      limits),
            Outcome::kUseBeast);
  ExpectSameAsBeast("POST /mcp HTTP/1.1\r\nContent-Length: 4\r\n\r\n1234",
                    limits);
  // Larger requests are read by Beast in pieces.
  const std::string large_length =
      "POST /mcp HTTP/1.1\r\nContent-Length: " +
      std::to_string(kMaxPlainRequestBytes) + "\r\n\r\n";
  EXPECT_EQ(OutcomeOf(large_length), Outcome::kUseBeast);
}

}  // namespace
}  // namespace mcpgw::gateway
