// An event-stream answer outside a session (no Mcp-Session-Id): streamed
// through by the relay as it comes, nothing held whole; when the instance
// stops mid-answer the client must be able to tell.

#include <gtest/gtest.h>

#include "policies/target.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

class SseRelay : public testing::Test {
 protected:
  FakeInstance instance_;
  FakePool pool_{{"127.0.0.1", instance_.port(), "instance-token"}};
  GatewayUnderTest gateway_{pool_};

  void SendCall(RawClient& client, int id) {
    ASSERT_TRUE(client.Send(PostRequest(gateway_.mcp_port(), "/mcp",
                                        RpcRequest(id, "tools/call"),
                                        DsnHeaders())));
  }
};

// The instance's head and first event come in one read, then nothing: the
// bytes left buffered (the CRLF that ends the chunk) are no whole piece, so
// the next read waits on the instance. A client that leaves then is
// noticed at once, not when the instance speaks again.
TEST_F(SseRelay, AClientLeavingAQuietStreamIsNoticedWhenItsFirstEventCameWithTheHead) {
  Reply reply =
      Reply::EventStream({Piece{SseEvent(kProgress)}}, Reply::End::kHoldOpen);
  reply.head_with_first_piece = true;
  instance_.Script("tools/call", reply);
  {
    RawClient client(gateway_.mcp_port());
    SendCall(client, 8);
    const auto& early = client.Read("notifications/progress");
    ASSERT_EQ(early.status, 200u);
    EXPECT_EQ(pool_.outstanding(), 1);
  }  // the client closes
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }))
      << "the lease stayed taken after the client left";
  // The instance connection, mid-answer, is closed, not pooled.
  EXPECT_TRUE(WaitFor([&] { return instance_.closed_by_gateway() == 1; }));
}

TEST_F(SseRelay, EventsReachTheClientBeforeTheAnswerEnds) {
  instance_.Script(
      "tools/call",
      Reply::EventStream({Piece{SseEvent(kProgress)},
                          Piece{SseEvent(RpcResult(7, {{"done", true}})),
                                "answer"}}));
  RawClient client(gateway_.mcp_port());
  SendCall(client, 7);

  // The progress event arrives while the instance still holds the answer:
  // the stream is relayed as it comes, not gathered.
  const auto& early = client.Read("notifications/progress");
  ASSERT_EQ(early.status, 200u);
  EXPECT_EQ(early.Header("content-type"), "text/event-stream");
  EXPECT_FALSE(early.complete);
  EXPECT_EQ(early.body.find("\"done\""), std::string::npos);
  EXPECT_EQ(pool_.outstanding(), 1);

  instance_.OpenGate("answer");
  const auto& whole = client.Read();
  EXPECT_TRUE(whole.complete);
  const auto messages = SseMessages(whole.body);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], kProgress);
  EXPECT_EQ(messages[1], RpcResult(7, {{"done", true}}));
  // No gateway event ids: nothing could resume this stream.
  for (const auto& frame : ParseSse(whole.body)) EXPECT_EQ(frame.id, "");
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 0);
}

TEST_F(SseRelay, InstanceClosingMidEventLeavesTheCutVisible) {
  const std::string partial =
      "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"res";
  instance_.Script("tools/call",
                   Reply::EventStream({Piece{SseEvent(kProgress)},
                                       Piece{partial}},
                                      Reply::End::kCloseCut));
  RawClient client(gateway_.mcp_port());
  SendCall(client, 7);

  const auto& response = client.Read();
  ASSERT_EQ(response.status, 200u);
  // The body ends without its last chunk: the client cannot take it for a
  // whole answer, and no made-up event is appended to half an event.
  EXPECT_FALSE(response.complete);
  EXPECT_TRUE(response.closed);
  EXPECT_NE(response.body.find(partial), std::string::npos);
  EXPECT_EQ(response.body.find(std::to_string(policies::rpc_code::kBackendFailed)),
            std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

TEST_F(SseRelay, InstanceClosingBetweenEventsEndsWithAJsonRpcError) {
  instance_.Script("tools/call",
                   Reply::EventStream({Piece{SseEvent(kProgress)}},
                                      Reply::End::kCloseCut));
  RawClient client(gateway_.mcp_port());
  SendCall(client, 7);

  const auto& response = client.Read();
  ASSERT_EQ(response.status, 200u);
  // The stream ends properly, its last event the error for request 7.
  EXPECT_TRUE(response.complete);
  const auto messages = SseMessages(response.body);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], kProgress);
  EXPECT_EQ(messages[1]["id"], 7);
  EXPECT_EQ(messages[1]["error"]["code"], policies::rpc_code::kBackendFailed);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

// A notification awaits no answer: a cut stream then just ends, without an
// error for a request nobody sent.
TEST_F(SseRelay, CutStreamOfANotificationGetsNoErrorEvent) {
  instance_.Script("notifications/message",
                   Reply::EventStream({Piece{SseEvent(kProgress)}},
                                      Reply::End::kCloseCut));
  RawClient client(gateway_.mcp_port());
  ASSERT_TRUE(client.Send(PostRequest(
      gateway_.mcp_port(), "/mcp",
      nlohmann::json{{"jsonrpc", "2.0"}, {"method", "notifications/message"}}
          .dump(),
      DsnHeaders())));
  const auto& response = client.Read();
  EXPECT_FALSE(response.complete);
  EXPECT_EQ(SseMessages(response.body).size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
}

}  // namespace
}  // namespace mcpgw::harness
