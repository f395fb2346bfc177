// An event stream that ends on either side: a client that leaves it while
// the instance behind it is silent, and an instance killed between two of
// its events.
//
// A client that leaves an event stream while the instance behind it is
// silent. The gateway used to notice only when a write to the client failed,
// the second event after the close: a quiet instance kept the lease, both
// connections and the stream's memory of a departed client until it spoke
// twice. Now the client's socket is watched during the relay.
//
// mcp-responder stands where DBHub stands (--server-command): its `hold`
// tool answers with an event at once and then one per interval_ms, here far
// longer than the test waits.

#include <signal.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policies/target.h"
#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/raw_connection.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

#ifndef MCP_RESPONDER_BIN
#error "MCP_RESPONDER_BIN must be defined by the build"
#endif

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

// Bounds that tell "released" from "held until the instance speaks"; the
// instance's next event is 10 minutes away.
constexpr std::chrono::seconds kWait{30};
constexpr int kFirstEventTimeoutMs = 30'000;

class StreamDepartureTest : public GatewayTest {
 protected:
  void SetUp() override {
    if (UnderDockerRuntime()) GTEST_SKIP() << "process runtime only";
  }

  // The in_flight count of the only instance; -1 when there is none.
  int OnlyInstanceInFlight() {
    const auto instances = Instances();
    if (instances.instances.size() != 1) return -1;
    const auto response =
        Admin("GET", "/admin/instances/" + instances.instances[0].id);
    const auto j = nlohmann::json::parse(response.body, nullptr, false);
    return j.is_object() ? j.value("in_flight", -1) : -1;
  }
};

std::string HoldRequest(const std::string& dsn) {
  const std::string body =
      nlohmann::json{{"jsonrpc", "2.0"},
                     {"id", 1},
                     {"method", "tools/call"},
                     {"params",
                      {{"name", "hold"},
                       {"arguments",
                        {{"hold_ms", 600'000}, {"interval_ms", 600'000}}}}}}
          .dump();
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nX-DBHub-DSN: " +
         dsn + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

TEST_F(StreamDepartureTest, ClientLeavingASilentStreamReleasesTheLeaseAtOnce) {
  StartGateway({"--server-command=" MCP_RESPONDER_BIN});
  const std::string dsn = "sqlite:///tmp/stream-departure.db";  // unused
  {
    RawConnection client(gateway().mcp_port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send(HoldRequest(dsn)));
    const std::string got =
        client.ReadUntilContains("notifications/", kFirstEventTimeoutMs);
    ASSERT_NE(got.find("text/event-stream"), std::string::npos) << got;
    ASSERT_NE(got.find("notifications/"), std::string::npos) << got;
    EXPECT_EQ(OnlyInstanceInFlight(), 1);
  }  // the client closes its connection; the instance stays silent
  EXPECT_TRUE(WaitUntil([&] { return OnlyInstanceInFlight() == 0; }, kWait))
      << "in_flight " << OnlyInstanceInFlight();

  // The instance serves the next client as before.
  auto next = Client(dsn);
  const auto answer = next.Call(
      "tools/call", {{"name", "hold"}, {"arguments", {{"hold_ms", 0}}}});
  EXPECT_EQ(answer.status, 200) << answer.Describe();
  EXPECT_NE(answer.body.find("held"), std::string::npos) << answer.body;
}

// The instance is killed (kill -9) after the first event of a stream and
// before the next: the client gets the request's JSON-RPC error as the
// stream's last event (never a hang until the next event's time, never a
// cut that looks like a whole answer), and the next request on the same DSN
// is served by a new instance.
TEST_F(StreamDepartureTest, InstanceKilledMidStreamEndsItWithTheRequestsError) {
  StartGateway({"--server-command=" MCP_RESPONDER_BIN});
  const std::string dsn = "sqlite:///tmp/stream-killed.db";  // unused
  RawConnection client(gateway().mcp_port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(HoldRequest(dsn)));
  const std::string first =
      client.ReadUntilContains("notifications/", kFirstEventTimeoutMs);
  ASSERT_NE(first.find("notifications/"), std::string::npos) << first;
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());
  ASSERT_EQ(kill(victim->pid, SIGKILL), 0);

  const std::string rest = client.ReadUntilContains(
      "stopped before it answered", kFirstEventTimeoutMs);
  ASSERT_NE(rest.find("stopped before it answered"), std::string::npos)
      << "no error event after the instance died: " << rest;
  EXPECT_NE(rest.find("\"id\":1"), std::string::npos) << rest;
  EXPECT_NE(rest.find(std::to_string(rpc_code::kBackendFailed)), std::string::npos) << rest;
  // The chunked body ends properly after the error event.
  std::string all = rest;
  if (!all.ends_with("0\r\n\r\n")) {
    all += client.ReadUntilEndsWith("0\r\n\r\n", kFirstEventTimeoutMs);
  }
  EXPECT_TRUE(all.ends_with("\r\n0\r\n\r\n")) << all;

  // Until the gateway has seen the process exit, a request may still meet
  // the dead instance (a JSON-RPC error, 502); then a new one serves it.
  HttpResponse answer;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto next = Client(dsn);
        answer = next.Call("tools/call",
                           {{"name", "hold"}, {"arguments", {{"hold_ms", 0}}}});
        return answer.status == 200;
      },
      kWait))
      << answer.Describe();
  EXPECT_NE(answer.body.find("held"), std::string::npos) << answer.body;
  const auto replacement = OnlyInstanceProcess();
  ASSERT_TRUE(replacement.has_value());
  EXPECT_NE(replacement->pid, victim->pid);
}

}  // namespace
}  // namespace mcpgw::it
