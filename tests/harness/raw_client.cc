#include "tests/harness/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

namespace http = boost::beast::http;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Head(const std::string& method, std::uint16_t port,
                 const std::string& path, const HeaderList& extra) {
  std::string head = method + " " + path + " HTTP/1.1\r\n";
  head += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  head += "Accept: application/json, text/event-stream\r\n";
  for (const auto& [name, value] : extra.fields) {
    head += name + ": " + value + "\r\n";
  }
  return head;
}

}  // namespace

std::string PostRequest(std::uint16_t port, const std::string& path,
                        const std::string& body, const HeaderList& extra,
                        const std::string& method) {
  std::string request = Head(method, port, path, extra);
  request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;
  return request;
}

std::string GetRequest(std::uint16_t port, const std::string& path,
                       const HeaderList& extra) {
  return Head("GET", port, path, extra) + "\r\n";
}

struct RawClient::Parser {
  Parser() {
    parser.eager(true);
    parser.body_limit(256 * 1024 * 1024);
  }
  http::response_parser<http::string_body> parser;
  std::string pending;
};

RawClient::RawClient(std::uint16_t port, int receive_buffer)
    : parser_(std::make_unique<Parser>()) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  if (receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                 sizeof(receive_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() { Close(); }

bool RawClient::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const auto n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

ClientResponse& RawClient::response() { return response_; }

void RawClient::NextResponse() {
  auto next = std::make_unique<Parser>();
  next->pending = std::move(parser_->pending);
  parser_ = std::move(next);
  response_ = ClientResponse{};
}

ClientResponse& RawClient::Read(const std::string& body_contains,
                               std::chrono::milliseconds timeout) {
  auto& parser = parser_->parser;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto satisfied = [&] {
    if (!parser.is_header_done()) return false;
    if (parser.is_done()) return true;
    return !body_contains.empty() &&
           parser.get().body().find(body_contains) != std::string::npos;
  };
  while (!satisfied() && !response_.closed) {
    if (!parser_->pending.empty()) {
      boost::beast::error_code ec;
      const auto used = parser.put(
          boost::asio::buffer(parser_->pending.data(), parser_->pending.size()),
          ec);
      parser_->pending.erase(0, used);
      if (ec && ec != http::error::need_more) {
        response_.closed = true;
        break;
      }
      if (used > 0) continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0 || fd_ < 0) break;
    pollfd readable{fd_, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[16 * 1024];
    const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      // A body without length ends with the connection (HTTP/1.0 style).
      boost::beast::error_code ec;
      parser.put_eof(ec);
      response_.closed = true;
      break;
    }
    parser_->pending.append(buffer, static_cast<std::size_t>(n));
  }
  if (parser.is_header_done()) {
    const auto& message = parser.get();
    response_.status = message.result_int();
    for (const auto& field : message) {
      response_.headers[Lower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    response_.body = message.body();
  }
  response_.complete = parser.is_done();
  return response_;
}

ClientResponse RawClient::Exchange(const std::string& request) {
  NextResponse();
  if (!Send(request)) {
    ClientResponse failed;
    failed.closed = true;
    return failed;
  }
  return Read();
}

void RawClient::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger abort{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace mcpgw::harness
