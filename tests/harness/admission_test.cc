// The concurrency gate of RequestGuard::Admit on the request path: at most
// N requests per instance at once, a short queue, then 503 with a JSON-RPC
// error, while the instance never sees the refused request.

#include <algorithm>

#include <gtest/gtest.h>

#include "common/manual_clock.h"
#include "policies/target.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

// A look at a client's socket that does not wait for an answer.
constexpr std::chrono::milliseconds kGlance{10};

HarnessOptions OneAtATime(int queued) {
  HarnessOptions options;
  options.guard = gateway::GuardOptions{};
  options.guard->max_concurrent_per_instance = 1;
  options.guard->max_queued_per_instance = queued;
  options.guard->resolve_hosts = false;  // db.example.com is not looked up
  return options;
}

// The first call's answer waits for the gate "first": it holds the slot.
Reply HeldAnswer(int id) {
  return Reply::EventStream(
      {Piece{SseEvent(RpcResult(id, {{"held", true}})), "first"}});
}

std::string Call(const GatewayUnderTest& gateway, int id) {
  return PostRequest(gateway.mcp_port(), "/mcp", RpcRequest(id, "tools/call"),
                     DsnHeaders());
}

TEST(Admission, SecondRequestIsRefusedWhileTheFirstHoldsTheOnlySlot) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool, OneAtATime(/*queued=*/0));
  instance.Script("tools/call", HeldAnswer(1));

  RawClient first(gateway.mcp_port());
  ASSERT_TRUE(first.Send(Call(gateway, 1)));
  ASSERT_TRUE(instance.WaitForRequests("tools/call", 1));

  RawClient second(gateway.mcp_port());
  const auto refused = second.Exchange(Call(gateway, 2));
  EXPECT_EQ(refused.status, 503u);
  const auto error = refused.Json();
  EXPECT_EQ(error["jsonrpc"], "2.0");
  EXPECT_EQ(error["id"], 2);
  EXPECT_EQ(error["error"]["code"], policies::rpc_code::kInstanceBusy);
  EXPECT_EQ(instance.requests("tools/call").size(), 1u);
  EXPECT_EQ(pool.counts().acquired.load(), 1);

  instance.OpenGate("first");
  const auto& answered = first.Read();
  EXPECT_EQ(answered.status, 200u);
  EXPECT_TRUE(answered.complete);
  EXPECT_EQ(SseMessages(answered.body).at(0)["id"], 1);

  // The slot is free again once the first answer is through. It goes when
  // the connection's relay has wound up, which may be a moment after its
  // last byte reached the client: a 503 until then, never for good.
  ClientResponse later;
  EXPECT_TRUE(WaitFor([&] {
    RawClient third(gateway.mcp_port());
    later = third.Exchange(Call(gateway, 3));
    return later.status != 503;
  }));
  EXPECT_EQ(later.status, 200u);
  EXPECT_EQ(later.Json()["id"], 3);
}

TEST(Admission, OneQueuedRequestWaitsForTheSlotAndTheNextIsRefused) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  GatewayUnderTest gateway(pool, OneAtATime(/*queued=*/1));
  instance.Script("tools/call", HeldAnswer(1));

  RawClient first(gateway.mcp_port());
  ASSERT_TRUE(first.Send(Call(gateway, 1)));
  ASSERT_TRUE(instance.WaitForRequests("tools/call", 1));
  // Two more: one may wait in the queue, the other is refused (which one
  // queues first is up to the scheduler).
  RawClient second(gateway.mcp_port());
  RawClient third(gateway.mcp_port());
  ASSERT_TRUE(second.Send(Call(gateway, 2)));
  ASSERT_TRUE(third.Send(Call(gateway, 3)));
  // The refusal comes at once; the queued one waits for the slot.
  ASSERT_TRUE(WaitFor([&] {
    return instance.requests("tools/call").size() == 1 &&
           (second.Read({}, kGlance).status != 0 ||
            third.Read({}, kGlance).status != 0);
  }));
  RawClient& refused_client = second.response().status != 0 ? second : third;
  RawClient& queued_client = second.response().status != 0 ? third : second;
  EXPECT_EQ(refused_client.response().status, 503u);
  EXPECT_EQ(refused_client.response().Json()["error"]["code"],
            policies::rpc_code::kInstanceBusy);
  EXPECT_EQ(queued_client.response().status, 0u);  // still waiting

  instance.OpenGate("first");
  EXPECT_EQ(first.Read().status, 200u);
  const auto& queued = queued_client.Read();
  EXPECT_EQ(queued.status, 200u);
  EXPECT_EQ(instance.requests("tools/call").size(), 2u);
  EXPECT_TRUE(WaitFor([&] { return pool.outstanding() == 0; }));
}

// Request rates are measured on the injected clock: a DSN over its rate is
// refused (429, Retry-After) until the clock has moved on enough for a
// token, and no test waits for a real second to pass.
TEST(Admission, RateLimitRefillsAsTheClockMoves) {
  FakeInstance instance;
  FakePool pool({"127.0.0.1", instance.port(), "instance-token"});
  common::ManualClock clock;
  HarnessOptions options;
  options.clock = &clock;
  options.guard = gateway::GuardOptions{};
  options.guard->dsn_rate = {.per_second = 1, .burst = 1};
  options.guard->resolve_hosts = false;  // db.example.com is not looked up
  GatewayUnderTest gateway(pool, options);

  EXPECT_EQ(RawClient(gateway.mcp_port()).Exchange(Call(gateway, 1)).status, 200u);
  const auto refused = RawClient(gateway.mcp_port()).Exchange(Call(gateway, 2));
  EXPECT_EQ(refused.status, 429u);
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.Json()["error"]["code"], policies::rpc_code::kRateLimited);

  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(RawClient(gateway.mcp_port()).Exchange(Call(gateway, 3)).status, 429u);
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(RawClient(gateway.mcp_port()).Exchange(Call(gateway, 4)).status, 200u);
  EXPECT_EQ(instance.requests("tools/call").size(), 2u);
}

}  // namespace
}  // namespace mcpgw::harness
