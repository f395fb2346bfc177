#include "test_support/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace mcpgw::it {
namespace {

namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// False once the peer has closed (or reset) the connection.
bool SendAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Whether the server has closed its side (without consuming data).
bool PeerClosed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  char c;
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace

IdleConnection::IdleConnection(int port) : fd_(Connect(port)) {}

IdleConnection::~IdleConnection() {
  if (fd_ >= 0) ::close(fd_);
}

IdleConnection::IdleConnection(IdleConnection&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

std::string RawResponse::Describe() const {
  if (!connected) return "no connection";
  if (!complete) {
    if (!error.empty()) return "unreadable response: " + error;
    return closed ? "closed without a response" : "no response (timeout)";
  }
  return "HTTP " + std::to_string(status) + "\n" + headers + "\n" +
         body.substr(0, 400);
}

RawResponse RawExchange(int port, const std::string& bytes,
                        const RawOptions& options) {
  RawResponse out;
  const int fd = Connect(port);
  if (fd < 0) return out;
  out.connected = true;
  const auto deadline = SteadyClock::now() + options.timeout;

  bool sent = true;
  if (options.trickle_bytes == 0) {
    sent = SendAll(fd, bytes.data(), bytes.size());
  } else {
    for (std::size_t at = 0; at < bytes.size() && SteadyClock::now() < deadline;
         at += options.trickle_bytes) {
      if (PeerClosed(fd)) break;
      const std::size_t n = std::min(options.trickle_bytes, bytes.size() - at);
      if (!SendAll(fd, bytes.data() + at, n)) break;
      std::this_thread::sleep_for(options.trickle_pause);
    }
  }
  (void)sent;  // the server may answer (413, 431) before reading everything
  if (options.read_delay.count() > 0) std::this_thread::sleep_for(options.read_delay);

  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.eager(true);
  std::string pending;
  char chunk[16384];
  while (SteadyClock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - SteadyClock::now());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    pending.append(chunk, static_cast<std::size_t>(n));
    boost::system::error_code ec;
    const std::size_t used =
        parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
    pending.erase(0, used);  // consumed even when it needs more
    if (ec == http::error::need_more) continue;
    if (ec) {
      out.error = ec.message();
      break;
    }
    if (parser.is_done()) {
      out.complete = true;
      break;
    }
  }
  if (!out.complete && out.closed && parser.is_header_done() &&
      parser.need_eof()) {
    boost::system::error_code ec;
    parser.put_eof(ec);
    out.complete = !ec;
  }
  if (out.complete || parser.is_header_done()) {
    const auto& message = parser.get();
    out.status = message.result_int();
    for (const auto& field : message.base()) {
      out.headers.append(field.name_string()).append(": ")
          .append(field.value()).append("\r\n");
    }
    out.body = message.body();
    out.content_type = std::string(message[http::field::content_type]);
  }
  ::close(fd);
  return out;
}

}  // namespace mcpgw::it
