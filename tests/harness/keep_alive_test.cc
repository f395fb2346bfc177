// Keep-alive comments on an event stream the gateway holds open (a GET
// stream within a session), while its instance says nothing.

#include <gtest/gtest.h>

#include "gateway/backend/sse.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"

namespace mcpgw::harness {
namespace {

// Keep-alive comments come from an Asio timer, which a manual clock cannot
// fire: the interval is injected instead (RelayLimits::sse_keepalive), and
// the test waits for the comments of a silent stream, not for a time.
TEST(KeepAlive, SilentStreamGetsKeepAliveCommentsAndStaysOpen) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  HarnessOptions options;
  options.handler.limits.sse_keepalive = std::chrono::milliseconds(20);
  GatewayUnderTest gateway(pool, options);
  const std::string session = OpenSession(gateway.mcp_port(), kRevision);
  ASSERT_FALSE(session.empty());
  instance.Script("GET", Reply::EventStream({Piece{SseEvent(kProgress)}},
                                            Reply::End::kHoldOpen));
  RawClient client(gateway.mcp_port());
  ASSERT_TRUE(client.Send(
      GetRequest(gateway.mcp_port(), "/mcp", SessionHeaders(session))));
  const std::string two = std::string(gateway::kSseKeepAlive) +
                          std::string(gateway::kSseKeepAlive);
  const auto& open = client.Read(two);
  ASSERT_EQ(open.status, 200u);
  EXPECT_FALSE(open.complete);
  // The event first, then only comments while the instance says nothing.
  EXPECT_EQ(SseMessages(open.body).size(), 1u);
  EXPECT_NE(open.body.find(two), std::string::npos);
  EXPECT_EQ(pool.outstanding(), 1);
}

}  // namespace
}  // namespace mcpgw::harness
