// The gateway's shutdown sequence (src/gateway_app.cc ShutDown and
// PendingWork): open-ended streams end with a reconnection hint at the
// start of the drain, and frames the grace period cut release their leases
// when the stopped loop's pending work is destroyed.

#include <gtest/gtest.h>

#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

const nlohmann::json kListChanged = {
    {"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}};

// A 2025-11-25 session (its id in `session`) and its GET stream through the
// gateway on `client`: the instance sends one notification and keeps the
// stream open.
void OpenGetStream(GatewayUnderTest& gateway, FakeInstance& instance,
                   RawClient& client, std::string& session) {
  session = OpenSession(gateway.mcp_port(), kRevision);
  ASSERT_FALSE(session.empty());
  instance.Script("GET", Reply::EventStream({Piece{SseEvent(kListChanged)}},
                                            Reply::End::kHoldOpen));
  ASSERT_TRUE(client.Send(
      GetRequest(gateway.mcp_port(), "/mcp", SessionHeaders(session))));
  const auto& open = client.Read(kListChanged.dump() + "\n\n");
  ASSERT_EQ(open.status, 200u);
  ASSERT_FALSE(open.complete);
}

TEST(Shutdown, OpenGetStreamEndsWithTheRetryHint) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  RawClient client(gateway.mcp_port());
  std::string session;
  ASSERT_NO_FATAL_FAILURE(OpenGetStream(gateway, instance, client, session));
  EXPECT_EQ(pool.outstanding(), 1);

  EXPECT_EQ(gateway.BeginShutdown(), 1u);
  const auto& ended = client.Read();
  // Ended properly, its last field the hint (2025-11-25), and no event ids
  // (nothing resumes a GET stream).
  EXPECT_TRUE(ended.complete);
  const auto frames = ParseSse(ended.body);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().retry, "2000");
  for (const auto& frame : frames) EXPECT_EQ(frame.id, "");
  // Nobody reads the rest: the instance's stream is closed, the lease back.
  EXPECT_TRUE(WaitFor([&] { return instance.closed_by_gateway() >= 1; }));
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  EXPECT_EQ(pool.counts().streams_opened.load(),
            pool.counts().streams_closed.load());
}

// An instance that begins to drain (the pool's draining listener) ends its
// open-ended streams the same way, so that they do not hold the drain; the
// gateway itself keeps serving.
TEST(Shutdown, DrainingInstanceEndsItsGetStreamsWithTheHint) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  RawClient client(gateway.mcp_port());
  std::string session;
  ASSERT_NO_FATAL_FAILURE(OpenGetStream(gateway, instance, client, session));

  pool.AnnounceDraining();
  const auto& ended = client.Read();
  EXPECT_TRUE(ended.complete);
  const auto frames = ParseSse(ended.body);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().retry, "2000");
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
  // Still accepting: a new request is served.
  RawClient next(gateway.mcp_port());
  EXPECT_EQ(next.Exchange(PostRequest(gateway.mcp_port(), "/mcp",
                                      RpcRequest(2, "tools/list"),
                                      SessionHeaders(session)))
                .status,
            200u);
}

// Before 2025-11-25 there is no retry field: the stream just ends.
TEST(Shutdown, OlderRevisionStreamEndsWithoutAHint) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  const std::string session = OpenSession(gateway.mcp_port(), "2025-06-18");
  ASSERT_FALSE(session.empty());
  instance.Script("GET", Reply::EventStream({Piece{SseEvent(kListChanged)}},
                                            Reply::End::kHoldOpen));
  RawClient client(gateway.mcp_port());
  ASSERT_TRUE(client.Send(GetRequest(
      gateway.mcp_port(), "/mcp",
      DsnHeaders()
          .Add("Mcp-Session-Id", session)
          .Add("MCP-Protocol-Version", "2025-06-18"))));
  ASSERT_EQ(client.Read(kListChanged.dump() + "\n\n").status, 200u);

  EXPECT_EQ(gateway.BeginShutdown(), 1u);
  const auto& ended = client.Read();
  EXPECT_TRUE(ended.complete);
  EXPECT_EQ(ended.body.find("retry:"), std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
}

TEST(Shutdown, CutRequestsReleaseTheirLeasesWithThePendingWork) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  instance.Script("tools/call", Reply::NoAnswer());

  RawClient client(gateway.mcp_port());
  ASSERT_TRUE(client.Send(PostRequest(gateway.mcp_port(), "/mcp",
                                      RpcRequest(1, "tools/call"),
                                      DsnHeaders())));
  ASSERT_TRUE(instance.WaitForRequests("tools/call", 1));
  EXPECT_EQ(gateway.BeginShutdown(), 0u);
  EXPECT_EQ(gateway.active_requests(), 1);

  // The grace period is over: the loop stops with the request's frame
  // still waiting for the instance, its lease held...
  gateway.StopLoop();
  EXPECT_EQ(pool.outstanding(), 1);
  // ...until the pending work is destroyed, while the pool is alive.
  gateway.DestroyPendingWork();
  EXPECT_EQ(pool.outstanding(), 0);
  EXPECT_EQ(pool.counts().acquired.load(), 1);
}

TEST(Shutdown, NewConnectionsAreRefusedOnceAcceptingStops) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool);
  gateway.BeginShutdown();
  EXPECT_TRUE(WaitFor([&] {
    return !RawClient(gateway.mcp_port()).connected();
  }));
  EXPECT_TRUE(instance.requests().empty());
}

}  // namespace
}  // namespace mcpgw::harness
