#include "test_support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace mcpgw::it {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Reads one request (head + Content-Length body) from `fd`.
bool ReadRequest(int fd, WebhookReceiver::Delivery& out) {
  std::string data;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  std::size_t length = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      std::size_t pos = data.find("\r\n");
      out.request_line = data.substr(0, pos);
      while (pos < head_end) {
        const std::size_t next = data.find("\r\n", pos + 2);
        const std::string line = data.substr(pos + 2, next - pos - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          out.headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
        }
        pos = next;
      }
      length = std::stoul(out.headers.count("content-length")
                              ? out.headers["content-length"]
                              : "0");
    }
    if (data.size() >= head_end + 4 + length) {
      out.body = data.substr(head_end + 4, length);
      return true;
    }
  }
}

}  // namespace

WebhookReceiver::WebhookReceiver(Mode mode) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("webhook receiver: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  if (mode == Mode::kAnswer) thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
}

std::string WebhookReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
}

std::vector<WebhookReceiver::Delivery> WebhookReceiver::deliveries() const {
  std::lock_guard lock(mutex_);
  return deliveries_;
}

void WebhookReceiver::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Delivery delivery;
    if (ReadRequest(fd, delivery)) {
      {
        std::lock_guard lock(mutex_);
        deliveries_.push_back(std::move(delivery));
      }
      static constexpr char kAnswer[] =
          "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
      (void)!write(fd, kAnswer, sizeof(kAnswer) - 1);
    }
    close(fd);
  }
}

std::string ExpectedSignature(const std::string& secret,
                              const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &mac_len);
  std::string hex = "sha256=";
  char byte[3];
  for (unsigned int i = 0; i < mac_len; ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", mac[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace mcpgw::it
