// A client that stops reading: the gateway must not buffer the instance's
// answer without bound (the instance is made to wait instead), and the
// lease must go once the client finally does.
//
// The instance writes far more than every socket buffer on the way can
// hold (the kernel may autotune a receive buffer to tens of MB), so it can
// only finish if the gateway gathers the answer in memory.

#include <gtest/gtest.h>

#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

constexpr std::size_t kEventBytes = 16 * 1024;
constexpr std::size_t kEvents = 8 * 1024;  // 128 MiB in all
// The client's receive buffer, never drained.
constexpr int kClientBuffer = 4096;
// How long the instance's write must wait, without a byte taken, before the
// test takes it as held back. A gateway that reads on (into memory) never
// leaves a write waiting this long; one that paused leaves it waiting for
// good, so reaching it is an event, not a race.
constexpr std::chrono::milliseconds kHeldBack{1'000};
constexpr std::size_t kReplayBytes = 256 * 1024;

std::string BulkEvent() {
  const nlohmann::json progress = {
      {"jsonrpc", "2.0"},
      {"method", "notifications/progress"},
      {"params", {{"progressToken", "p"}, {"pad", std::string(kEventBytes, 'x')}}}};
  return SseEvent(progress);
}

Reply BulkAnswer(int id) {
  return Reply::EventStream({Piece{BulkEvent(), "", kEvents},
                             Piece{SseEvent(RpcResult(id, {{"done", true}}))}});
}

TEST(SlowClient, SessionStreamHoldsTheInstanceBackAndLetsGoAfterTheClient) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  HarnessOptions options;
  options.handler.replay.max_bytes = kReplayBytes;
  GatewayUnderTest gateway(pool, options);
  const std::string session = OpenSession(gateway.mcp_port());
  ASSERT_FALSE(session.empty());
  // The instance counts the initialize answer once it has written it all,
  // which may be a moment after the client read it (a loaded machine).
  ASSERT_TRUE(WaitFor([&] { return instance.answers_finished() == 1; }));
  const int finished_before = instance.answers_finished();
  instance.Script("tools/call", BulkAnswer(5));

  RawClient client(gateway.mcp_port(), kClientBuffer);
  ASSERT_TRUE(client.Send(PostRequest(gateway.mcp_port(), "/mcp",
                                      RpcRequest(5, "tools/call"),
                                      SessionHeaders(session))));
  ASSERT_TRUE(WaitFor([&] { return instance.write_blocked_for() >= kHeldBack; },
                      std::chrono::seconds(30)))
      << "the instance was never held back; it sent "
      << instance.bytes_sent() << " bytes";
  EXPECT_EQ(instance.answers_finished(), finished_before);
  // What the gateway keeps of the stream stays near its replay limit (the
  // writer's batch in flight comes on top, not in this count).
  const auto kept =
      gateway.handler().SessionsJson()["replay_buffer_bytes"].get<std::size_t>();
  EXPECT_LE(kept, 2 * kReplayBytes + 2 * kEventBytes);
  EXPECT_EQ(pool.outstanding(), 1);

  // The client goes: the stream is kept for a resume, so the instance may
  // finish (into the bounded replay buffer), and the lease then goes.
  client.Close(/*reset=*/true);
  EXPECT_TRUE(WaitFor([&] {
    return instance.answers_finished() > finished_before;
  }, std::chrono::seconds(60)));
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  EXPECT_EQ(pool.counts().streams_opened.load(),
            pool.counts().streams_closed.load());
  EXPECT_LE(gateway.handler().SessionsJson()["replay_buffer_bytes"]
                .get<std::size_t>(),
            kReplayBytes + 2 * kEventBytes);
}

TEST(SlowClient, RelayedStreamHoldsTheInstanceBackAndEndsWithTheClient) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  instance.Script("tools/call", BulkAnswer(6));

  RawClient client(gateway.mcp_port(), kClientBuffer);
  ASSERT_TRUE(client.Send(PostRequest(gateway.mcp_port(), "/mcp",
                                      RpcRequest(6, "tools/call"),
                                      DsnHeaders())));
  ASSERT_TRUE(WaitFor([&] { return instance.write_blocked_for() >= kHeldBack; },
                      std::chrono::seconds(30)))
      << "the instance was never held back; it sent "
      << instance.bytes_sent() << " bytes";
  EXPECT_EQ(instance.answers_finished(), 0);
  EXPECT_EQ(pool.outstanding(), 1);

  // Nothing resumes a stream outside a session: the client going ends the
  // relay, closes the instance's connection mid-answer and frees the lease.
  client.Close(/*reset=*/true);
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  EXPECT_TRUE(WaitFor([&] { return instance.writes_refused() >= 1; }));
  EXPECT_EQ(instance.answers_finished(), 0);
}

}  // namespace
}  // namespace mcpgw::harness
