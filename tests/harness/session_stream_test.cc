// Event streams within a session (StreamEvents, sse_relay.cc): re-framed
// with the gateway's own event ids, kept for Last-Event-ID, and sent within
// the instance's own session.

#include <gtest/gtest.h>

#include "gateway/mcp/event_stream.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

class SessionStream : public testing::Test {
 protected:
  void SetUp() override {
    session_ = OpenSession(gateway_.mcp_port());
    ASSERT_FALSE(session_.empty());
  }

  // A tools/call with `id` within the session, the instance answering
  // with `reply`.
  ClientResponse CallInSession(Reply reply, int id) {
    instance_.Script("tools/call", std::move(reply));
    RawClient client(gateway_.mcp_port());
    return client.Exchange(PostRequest(gateway_.mcp_port(), "/mcp",
                                       RpcRequest(id, "tools/call"),
                                       SessionHeaders(session_)));
  }

  // The frames a call with `id` gets when the instance sends its head with
  // `first` (one event) and then closes, the body unfinished.
  std::vector<SseFrame> FramesWhenCutAfterTheHead(const nlohmann::json& first,
                                                  int id) {
    Reply reply =
        Reply::EventStream({Piece{SseEvent(first)}}, Reply::End::kCloseCut);
    reply.head_with_first_piece = true;
    const auto response = CallInSession(std::move(reply), id);
    EXPECT_EQ(response.status, 200u);
    EXPECT_TRUE(response.complete);
    return ParseSse(response.body);
  }

  FakeInstance instance_;
  FakePool pool_{{"127.0.0.1", instance_.port(), "instance-token"}};
  GatewayUnderTest gateway_{pool_};
  std::string session_;
};

TEST_F(SessionStream, EventsAreReframedWithTheGatewaysIds) {
  const auto response = CallInSession(
      Reply::EventStream({Piece{"id: instance-7\n" + SseEvent(kProgress)},
                          Piece{SseEvent(RpcResult(7, {{"done", true}}))}}),
      7);

  ASSERT_EQ(response.status, 200u);
  EXPECT_TRUE(response.complete);
  const auto frames = ParseSse(response.body);
  // 2025-11-25: a priming event (an id, no data) first, then the two.
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_TRUE(frames[0].data.empty());
  std::string stream_id;
  std::uint64_t last = 0;
  for (const auto& frame : frames) {
    const auto id = gateway::ParseEventId(frame.id);
    ASSERT_TRUE(id.has_value()) << "event id '" << frame.id << "'";
    if (stream_id.empty()) stream_id = id->stream_id;
    EXPECT_EQ(id->stream_id, stream_id);
    EXPECT_GT(id->sequence, last);
    last = id->sequence;
  }
  EXPECT_EQ(nlohmann::json::parse(frames[1].data), kProgress);
  EXPECT_EQ(nlohmann::json::parse(frames[2].data),
            RpcResult(7, {{"done", true}}));
  EXPECT_EQ(response.body.find("instance-7"), std::string::npos);

  // The instance saw its own session, never the gateway's.
  const auto calls = instance_.requests("tools/call");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].Header("mcp-session-id"), FakeInstance::kBackendSession);
  EXPECT_NE(session_, FakeInstance::kBackendSession);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
}

TEST_F(SessionStream, BrokenConnectionResumesWithLastEventId) {
  instance_.Script(
      "tools/call",
      Reply::EventStream({Piece{SseEvent(kProgress)},
                          Piece{SseEvent(RpcResult(7, {{"done", true}})),
                                "answer"}}));
  std::string last_seen;
  const int finished_before = instance_.answers_finished();
  {
    RawClient first(gateway_.mcp_port());
    ASSERT_TRUE(first.Send(PostRequest(gateway_.mcp_port(), "/mcp",
                                       RpcRequest(7, "tools/call"),
                                       SessionHeaders(session_))));
    const auto& early = first.Read(kProgress.dump() + "\n\n");
    ASSERT_EQ(early.status, 200u);
    // Up to the end of the progress event.
    const auto frames = ParseSse(early.body);
    ASSERT_FALSE(frames.empty());
    last_seen = frames.back().id;
    ASSERT_FALSE(last_seen.empty());
    first.Close(/*reset=*/true);
  }
  // The answer comes while nobody is connected.
  instance_.OpenGate("answer");
  ASSERT_TRUE(WaitFor([&] { return instance_.answers_finished() > finished_before; }));

  RawClient second(gateway_.mcp_port());
  const auto resumed = second.Exchange(
      GetRequest(gateway_.mcp_port(), "/mcp",
                 SessionHeaders(session_).Add("Last-Event-ID", last_seen)));
  ASSERT_EQ(resumed.status, 200u);
  EXPECT_TRUE(resumed.complete);
  // Only what was missed: the answer, not the progress event again.
  const auto messages = SseMessages(resumed.body);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], RpcResult(7, {{"done", true}}));
  // Replayed by the gateway: the instance got the call once, no GET.
  EXPECT_EQ(instance_.requests("tools/call").size(), 1u);
  EXPECT_TRUE(instance_.requests("GET").empty());
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
}

TEST_F(SessionStream, ResumingAnUnknownStreamIsGone) {
  RawClient client(gateway_.mcp_port());
  const auto response = client.Exchange(GetRequest(
      gateway_.mcp_port(), "/mcp",
      SessionHeaders(session_).Add("Last-Event-ID", "nosuchstream-3")));
  EXPECT_EQ(response.status, 410u);
  EXPECT_TRUE(instance_.requests("GET").empty());
}

// The instance stops between events while the session's client waits: the
// pump appends the JSON-RPC error itself, with a gateway event id.
TEST_F(SessionStream, InstanceStoppingBetweenEventsAppendsTheError) {
  const auto response = CallInSession(
      Reply::EventStream({Piece{SseEvent(kProgress)}}, Reply::End::kCloseCut),
      9);
  ASSERT_EQ(response.status, 200u);
  EXPECT_TRUE(response.complete);
  const auto frames = ParseSse(response.body);
  ASSERT_FALSE(frames.empty());
  const auto last = nlohmann::json::parse(frames.back().data, nullptr, false);
  EXPECT_EQ(last["id"], 9);
  EXPECT_EQ(last["error"]["code"], policies::rpc_code::kBackendFailed);
  EXPECT_TRUE(gateway::ParseEventId(frames.back().id).has_value());
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

// The whole answer comes with its head (a short answer commonly does): it is
// on the stream before the writer starts (no pump), goes out with the
// gateway's ids, the instance connection goes back to the pool, and the
// stream, delivered whole, is not kept.
TEST_F(SessionStream, AnAnswerReadWholeWithItsHeadGoesOutAtOnce) {
  Reply reply = Reply::EventStream(
      {Piece{SseEvent(kProgress)}, Piece{SseEvent(RpcResult(5, {{"done", true}}))}});
  reply.whole_in_one_write = true;
  for (int call = 0; call < 2; ++call) {
    const auto response = CallInSession(reply, 5);
    ASSERT_EQ(response.status, 200u);
    EXPECT_TRUE(response.complete);
    const auto frames = ParseSse(response.body);
    ASSERT_EQ(frames.size(), 3u);  // the priming event, then the two
    for (const auto& frame : frames) {
      EXPECT_TRUE(gateway::ParseEventId(frame.id).has_value()) << frame.id;
    }
    EXPECT_EQ(nlohmann::json::parse(frames[1].data), kProgress);
    EXPECT_EQ(nlohmann::json::parse(frames[2].data),
              RpcResult(5, {{"done", true}}));
    // The stream goes once its last write has returned; the client, which
    // has all of it by then, may ask a moment sooner (seen on a busy
    // machine), and is then answered from the stream as it still is.
    const auto gone = [&] {
      RawClient resume(gateway_.mcp_port());
      return resume
                 .Exchange(GetRequest(
                     gateway_.mcp_port(), "/mcp",
                     SessionHeaders(session_).Add("Last-Event-ID", frames[1].id)))
                 .status == 410u;
    };
    EXPECT_TRUE(WaitFor(gone)) << "a stream delivered whole was kept";
  }
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(instance_.closed_by_gateway(), 0);
  EXPECT_EQ(pool_.counts().errors.load(), 0);
}

// Part of the answer comes with its head, the rest never (the instance
// stops): what came first is taken at once, the pump reads on, and the
// request's error ends the stream.
TEST_F(SessionStream, AnAnswerCutShortAfterWhatCameWithItsHeadEndsWithTheError) {
  const auto frames = FramesWhenCutAfterTheHead(kProgress, 11);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(frames[1].data), kProgress);
  const auto last = nlohmann::json::parse(frames[2].data, nullptr, false);
  EXPECT_EQ(last["id"], 11);
  EXPECT_EQ(last["error"]["code"], policies::rpc_code::kBackendFailed);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

// The answer itself came with the head, then the instance stopped before
// the end of the body: the client has its answer, so no error is added
// for it (the failure is still counted).
TEST_F(SessionStream, AnAnswerThatCameWithItsHeadGetsNoErrorWhenTheRestIsCut) {
  const auto frames =
      FramesWhenCutAfterTheHead(RpcResult(12, {{"done", true}}), 12);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(frames[1].data),
            RpcResult(12, {{"done", true}}));
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

}  // namespace
}  // namespace mcpgw::harness
