#include "test_support/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace mcpgw::it {

RawConnection::RawConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ =
      connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

RawConnection::~RawConnection() { close(fd_); }

bool RawConnection::Send(const std::string& data) {
  return write(fd_, data.data(), data.size()) ==
         static_cast<ssize_t>(data.size());
}

bool RawConnection::Readable(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  return poll(&pfd, 1, timeout_ms) > 0;
}

template <typename Done>
std::string RawConnection::ReadUntil(Done done, int timeout_ms) {
  std::string got;
  while (!done(got)) {
    if (!Readable(timeout_ms)) break;
    char buffer[8192];
    const ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

std::string RawConnection::ReadUntilEndsWith(const std::string& text,
                                             int timeout_ms) {
  return ReadUntil(
      [&text](const std::string& got) {
        return got.size() >= text.size() &&
               got.compare(got.size() - text.size(), text.size(), text) == 0;
      },
      timeout_ms);
}

std::string RawConnection::ReadUntilContains(const std::string& text,
                                             int timeout_ms) {
  return ReadUntil(
      [&text](const std::string& got) {
        return got.find(text) != std::string::npos;
      },
      timeout_ms);
}

}  // namespace mcpgw::it
