#include "mcp_responder/responder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_load/mcp_response.h"

namespace mcpgw::loadtest {
namespace {

using Kind = ResponderAnswer::Kind;

TEST(ResponderTest, ExecuteSqlIsAnSseResultThatMcpLoadAccepts) {
  auto a = Respond(R"({"jsonrpc":"2.0","id":7,"method":"tools/call",
                       "params":{"name":"execute_sql","arguments":{"sql":"SELECT 1"}}})");
  EXPECT_EQ(a.kind, Kind::kSse);
  EXPECT_EQ(ClassifyResponse(200, "text/event-stream", a.events, 7), Outcome::kOk);
}

TEST(ResponderTest, InitializeEchoesTheClientsProtocolVersion) {
  auto a = Respond(R"({"jsonrpc":"2.0","id":1,"method":"initialize",
                       "params":{"protocolVersion":"2025-03-26","capabilities":{}}})");
  auto data = SseMessageData(a.events);
  ASSERT_EQ(data.size(), 1u);
  auto j = nlohmann::json::parse(data[0]);
  EXPECT_EQ(j["result"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(j["result"]["serverInfo"]["name"], "mcp-responder");
}

TEST(ResponderTest, NotificationsAreAccepted) {
  EXPECT_EQ(Respond(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").kind,
            Kind::kAccepted);
}

TEST(ResponderTest, HoldIsBoundedAndStartsWithANotification) {
  auto a = Respond(R"({"jsonrpc":"2.0","id":3,"method":"tools/call",
                       "params":{"name":"hold","arguments":{"hold_ms":999999999,"interval_ms":1}}})");
  ASSERT_EQ(a.kind, Kind::kHold);
  EXPECT_EQ(a.hold, kMaxHold);
  EXPECT_EQ(a.interval, kMinHoldInterval);
  EXPECT_NE(a.events.find("notifications/message"), std::string::npos);
  EXPECT_EQ(ClassifyResponse(200, "text/event-stream", a.events + a.final_event, 3), Outcome::kOk);
}

TEST(ResponderTest, UnknownMethodAndBadJson) {
  auto a = Respond(R"({"jsonrpc":"2.0","id":4,"method":"nope"})");
  EXPECT_EQ(ClassifyResponse(200, "text/event-stream", a.events, 4), Outcome::kRpcError);
  EXPECT_EQ(Respond("{").kind, Kind::kBadRequest);
}

}  // namespace
}  // namespace mcpgw::loadtest
