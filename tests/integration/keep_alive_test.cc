// One client connection carries many requests: each answer must end exactly
// where it should, with nothing left over to corrupt the next one.

#include <string>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/raw_connection.h"

namespace mcpgw::it {
namespace {

using KeepAliveTest = GatewayTest;

int CountOf(const std::string& text, const std::string& part) {
  int count = 0;
  for (auto pos = text.find(part); pos != std::string::npos;
       pos = text.find(part, pos + 1)) {
    ++count;
  }
  return count;
}

std::string PingRequest(const std::string& dsn, int id) {
  const std::string body =
      R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})";
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n"
         "X-DBHub-DSN: " + dsn + "\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(KeepAliveTest, ManyRequestsOnOneConnectionEachEndExactly) {
  auto& gateway = StartGateway();
  const std::string dsn = NewSqliteDsn("keepalive.db");
  // Warm the instance so that every answer below comes from a ready DBHub.
  ASSERT_EQ(Client(dsn).Call("ping").status, 200);

  RawConnection connection(gateway.mcp_port());
  ASSERT_TRUE(connection.connected());
  for (int id = 1; id <= 5; ++id) {
    ASSERT_TRUE(connection.Send(PingRequest(dsn, id)));
    // DBHub answers in SSE, chunked: the answer ends with the last chunk.
    const std::string answer = connection.ReadUntilEndsWith("0\r\n\r\n", 10'000);
    ASSERT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << "request " << id
                                                           << ": " << answer;
    EXPECT_NE(answer.find("\"id\":" + std::to_string(id)), std::string::npos)
        << answer;
    // Exactly one terminating chunk, and nothing after it before the next
    // request.
    EXPECT_EQ(CountOf(answer, "\r\n0\r\n\r\n"), 1) << answer;
    EXPECT_FALSE(connection.Readable(300)) << "stray bytes after answer " << id;
  }
}

// A client that sends "Expect: 100-continue" and waits before it sends the
// body (curl with the header given, some SDKs for large bodies) is told to
// go on; before, it waited until the gateway's read timed out.
TEST_F(KeepAliveTest, AClientThatWaitsForContinueIsToldToSendItsBody) {
  auto& gateway = StartGateway();
  const std::string dsn = NewSqliteDsn("continue.db");
  ASSERT_EQ(Client(dsn).Call("ping").status, 200);

  const std::string request = PingRequest(dsn, 41);
  const std::size_t body_at = request.find("\r\n\r\n") + 4;
  const std::string head = request.substr(0, body_at - 2) +
                           "Expect: 100-continue\r\n\r\n";
  RawConnection connection(gateway.mcp_port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(head));
  EXPECT_EQ(connection.ReadUntilEndsWith("\r\n\r\n", 5'000),
            "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(connection.Send(request.substr(body_at)));
  const std::string answer = connection.ReadUntilEndsWith("0\r\n\r\n", 10'000);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_NE(answer.find("\"id\":41"), std::string::npos) << answer;

  // The same request sent whole: no interim answer, only the final one.
  const std::string whole = head + request.substr(body_at);
  ASSERT_TRUE(connection.Send(whole));
  const std::string second = connection.ReadUntilEndsWith("0\r\n\r\n", 10'000);
  EXPECT_TRUE(second.starts_with("HTTP/1.1 200 OK\r\n")) << second;
}

}  // namespace
}  // namespace mcpgw::it
