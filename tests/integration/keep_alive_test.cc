// One client connection carries many requests: each answer must end exactly
// where it should, with nothing left over to corrupt the next one.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"

namespace mcpgw::it {
namespace {

using KeepAliveTest = GatewayTest;

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& data) {
    ASSERT_EQ(write(fd_, data.data(), data.size()),
              static_cast<ssize_t>(data.size()));
  }

  // Reads until `text` ends what has arrived, or `timeout_ms` passes.
  std::string ReadUntilEndsWith(const std::string& text, int timeout_ms) {
    std::string got;
    while (!(got.size() >= text.size() &&
             got.compare(got.size() - text.size(), text.size(), text) == 0)) {
      if (!Readable(timeout_ms)) break;
      char buffer[8192];
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

  bool Readable(int timeout_ms) {
    pollfd pfd{fd_, POLLIN, 0};
    return poll(&pfd, 1, timeout_ms) > 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

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
    connection.Send(PingRequest(dsn, id));
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

}  // namespace
}  // namespace mcpgw::it
