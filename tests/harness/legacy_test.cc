// The 2024-11-05 HTTP+SSE transport (mcp_legacy.cc): GET /sse holds the
// session's stream, POST /messages is answered 202 and its answers follow
// on the stream, bridged to the Streamable HTTP instance.

#include <gtest/gtest.h>

#include "policies/target.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

class Legacy : public testing::Test {
 protected:
  // Opens GET /sse and returns the path its endpoint event names.
  std::string OpenStream() {
    if (!stream_.Send(GetRequest(gateway_.mcp_port(), "/sse", DsnHeaders()))) {
      return "";
    }
    const auto& head = stream_.Read("sessionId=");
    if (head.status != 200) return "";
    const auto frames = ParseSse(stream_.Read("\n\n").body);
    for (const auto& frame : frames) {
      if (frame.event == "endpoint") return frame.data;
    }
    return "";
  }
  unsigned Post(const std::string& endpoint, const std::string& body) {
    RawClient client(gateway_.mcp_port());
    return client.Exchange(PostRequest(gateway_.mcp_port(), endpoint, body,
                                       DsnHeaders()))
        .status;
  }
  // Waits until the stream carries the answer to `id`; returns it.
  nlohmann::json AnswerTo(int id) {
    nlohmann::json found;
    WaitFor([&] {
      stream_.Read("\"id\":" + std::to_string(id), std::chrono::milliseconds(20));
      for (const auto& message : SseMessages(stream_.response().body)) {
        if (message.is_object() && message.value("id", -1) == id) {
          found = message;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  FakeInstance instance_;
  FakePool pool_{{"127.0.0.1", instance_.port(), "instance-token"}};
  GatewayUnderTest gateway_{pool_};
  RawClient stream_{gateway_.mcp_port()};
};

TEST_F(Legacy, MessagesAreAnsweredOnTheStreamWithinTheInstancesSession) {
  const std::string endpoint = OpenStream();
  ASSERT_NE(endpoint.find("/messages?sessionId="), std::string::npos)
      << endpoint;

  EXPECT_EQ(Post(endpoint, RpcRequest(1, "initialize",
                                      {{"protocolVersion", "2024-11-05"},
                                       {"capabilities", nlohmann::json::object()},
                                       {"clientInfo", {{"name", "h"}, {"version", "1"}}}})),
            202u);
  EXPECT_TRUE(AnswerTo(1).contains("result"));
  EXPECT_EQ(Post(endpoint, RpcRequest(2, "tools/list")), 202u);
  EXPECT_EQ(AnswerTo(2)["result"]["echo"], "tools/list");

  const auto lists = instance_.requests("tools/list");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].Header("mcp-session-id"), FakeInstance::kBackendSession);
  EXPECT_FALSE(lists[0].Has("x-dbhub-dsn"));
}

TEST_F(Legacy, InstanceCuttingAnAnswerGivesAnErrorOnTheStream) {
  const std::string endpoint = OpenStream();
  ASSERT_FALSE(endpoint.empty());
  instance_.Script("tools/call",
                   Reply::EventStream({Piece{"event: message\ndata: {\"jso"}},
                                      Reply::End::kCloseCut));
  EXPECT_EQ(Post(endpoint, RpcRequest(3, "tools/call")), 202u);
  const auto answer = AnswerTo(3);
  EXPECT_EQ(answer["error"]["code"], policies::rpc_code::kBackendFailed)
      << answer.dump();
  // The cut answer, not a refusal before it: the call reached the instance.
  EXPECT_EQ(instance_.requests("tools/call").size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
  EXPECT_EQ(pool_.counts().errors.load(), 1);
}

TEST_F(Legacy, UnknownSessionIs404) {
  EXPECT_EQ(Post("/messages?sessionId=nosuchsession", RpcRequest(1, "tools/list")),
            404u);
  EXPECT_TRUE(instance_.requests().empty());
}

TEST_F(Legacy, ShutdownEndsTheStream) {
  ASSERT_FALSE(OpenStream().empty());
  EXPECT_EQ(gateway_.handler().LegacySessionCount(), 1u);
  gateway_.BeginShutdown();
  const auto& ended = stream_.Read();
  EXPECT_TRUE(ended.complete);
  EXPECT_TRUE(WaitFor([&] { return gateway_.handler().LegacySessionCount() == 0; }));
}

}  // namespace
}  // namespace mcpgw::harness
