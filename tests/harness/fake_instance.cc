#include "tests/harness/fake_instance.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

namespace http = boost::beast::http;

// How often blocked waits look at the stop flag.
constexpr int kPollMs = 50;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string KeyOf(const RecordedRequest& request) {
  if (request.method != "POST") return request.method;
  return request.RpcMethod();
}

std::string ChunkOf(std::string_view bytes) {
  char size[20];
  const int n = std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  std::string out(size, static_cast<std::size_t>(n));
  out.append(bytes);
  out.append("\r\n");
  return out;
}

}  // namespace

std::string RecordedRequest::RpcMethod() const {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("method") ||
      !json["method"].is_string()) {
    return "";
  }
  return json["method"].get<std::string>();
}

Reply Reply::Json(const nlohmann::json& body, unsigned status) {
  Reply reply;
  reply.status = status;
  reply.headers = {{"Content-Type", "application/json"}};
  reply.pieces = {Piece{body.dump()}};
  return reply;
}

Reply Reply::EventStream(std::vector<Piece> pieces, End end) {
  Reply reply;
  reply.headers = {{"Content-Type", "text/event-stream"},
                   {"Cache-Control", "no-cache"}};
  reply.chunked = true;
  reply.pieces = std::move(pieces);
  reply.end = end;
  return reply;
}

Reply Reply::NoAnswer() {
  Reply reply;
  reply.no_answer = true;
  return reply;
}

Reply Reply::Status(unsigned status) {
  Reply reply;
  reply.status = status;
  return reply;
}

std::string SseEvent(const nlohmann::json& message) {
  return "event: message\ndata: " + message.dump() + "\n\n";
}

nlohmann::json RpcResult(const nlohmann::json& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

FakeInstance::FakeInstance() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address),
             sizeof(address)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("bind/listen");
  }
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeInstance::~FakeInstance() {
  stopping_ = true;
  // Unblocks accept(); connection threads see the flag within kPollMs, and
  // their blocked reads end with the shutdown.
  ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(connections_);
  }
  for (auto& thread : threads) thread.join();
}

void FakeInstance::Script(const std::string& key, Reply reply) {
  std::lock_guard lock(mutex_);
  script_[key].push_back(std::move(reply));
}

void FakeInstance::OpenGate(const std::string& gate) {
  {
    std::lock_guard lock(mutex_);
    open_gates_.insert(gate);
  }
  changed_.notify_all();
}

std::vector<RecordedRequest> FakeInstance::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<RecordedRequest> FakeInstance::requests(
    const std::string& key) const {
  std::vector<RecordedRequest> matching;
  for (auto& request : requests()) {
    if (KeyOf(request) == key) matching.push_back(std::move(request));
  }
  return matching;
}

bool FakeInstance::WaitForRequests(const std::string& key,
                                   std::size_t count) const {
  return WaitFor([&] { return requests(key).size() >= count; });
}

void FakeInstance::AcceptLoop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    // A small, fixed send buffer: a gateway that stops reading stalls this
    // instance after little data (the gateway's own receive buffer still
    // grows with the kernel's autotuning).
    const int send_buffer = 64 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));
    open_fds_.insert(fd);
    ++open_connections_;
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

Reply FakeInstance::Choose(const RecordedRequest& request) {
  const std::string key = KeyOf(request);
  {
    std::lock_guard lock(mutex_);
    auto it = script_.find(key);
    if (it != script_.end() && !it->second.empty()) {
      Reply reply = std::move(it->second.front());
      it->second.pop_front();
      return reply;
    }
  }
  if (request.method == "GET") return Reply::Status(405);
  if (request.method == "DELETE") return Reply::Status(200);
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("id")) return Reply::Status(202);
  if (key == "initialize") {
    const auto params = body.value("params", nlohmann::json::object());
    Reply reply = Reply::Json(RpcResult(
        body["id"], {{"protocolVersion",
                      params.value("protocolVersion", "2025-06-18")},
                     {"capabilities", nlohmann::json::object()},
                     {"serverInfo", {{"name", "fake"}, {"version", "1"}}}}));
    reply.headers.emplace_back("Mcp-Session-Id", kBackendSession);
    return reply;
  }
  return Reply::Json(RpcResult(body["id"], {{"echo", key}}));
}

void FakeInstance::Serve(int fd) {
  std::string pending;  // bytes read past the last request
  bool open = true;
  while (open && !stopping_) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    boost::beast::error_code ec;
    // Whatever is buffered first, then more from the socket.
    while (!parser.is_done()) {
      if (!pending.empty()) {
        const auto used =
            parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
        pending.erase(0, used);
        if (ec == http::error::need_more) ec = {};
        if (ec) break;
        if (parser.is_done()) break;
      }
      char buffer[16 * 1024];
      const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        open = false;
        break;
      }
      pending.append(buffer, static_cast<std::size_t>(n));
    }
    if (!open || ec || !parser.is_done()) break;
    const auto& message = parser.get();
    RecordedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers[Lower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    request.body = message.body();
    const Reply reply = Choose(request);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();

    if (reply.no_answer) {
      WaitUntilClosed(fd);
      break;
    }
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
    for (const auto& [name, value] : reply.headers) {
      head += name + ": " + value + "\r\n";
    }
    std::string whole;
    if (reply.chunked) {
      head += "Transfer-Encoding: chunked\r\n\r\n";
    } else {
      for (const auto& piece : reply.pieces) whole += piece.bytes;
      head += "Content-Length: " + std::to_string(whole.size()) + "\r\n\r\n";
    }
    if (reply.chunked && reply.whole_in_one_write) {
      for (const auto& piece : reply.pieces) head += ChunkOf(piece.bytes);
      if (!SendAll(fd, head + "0\r\n\r\n")) break;
      ++answers_finished_;
      continue;
    }
    std::size_t first_piece = 0;
    if (reply.chunked && reply.head_with_first_piece && !reply.pieces.empty()) {
      head += ChunkOf(reply.pieces[0].bytes);
      first_piece = 1;
    }
    if (!SendAll(fd, head)) break;
    if (!reply.chunked) {
      if (!SendAll(fd, whole)) break;
      ++answers_finished_;
      continue;
    }
    bool sent = true;
    for (std::size_t p = first_piece; p < reply.pieces.size(); ++p) {
      const Piece& piece = reply.pieces[p];
      if (!piece.wait_gate.empty() && !WaitGate(piece.wait_gate)) {
        sent = false;
        break;
      }
      const std::string chunk = ChunkOf(piece.bytes);
      for (std::size_t i = 0; sent && i < piece.repeat; ++i) {
        sent = SendAll(fd, chunk);
      }
      if (!sent) break;
    }
    if (!sent) break;
    if (reply.end == Reply::End::kCloseCut) {
      ++answers_finished_;
      break;
    }
    if (reply.end == Reply::End::kHoldOpen) {
      WaitUntilClosed(fd);
      break;
    }
    if (!SendAll(fd, "0\r\n\r\n")) break;
    ++answers_finished_;
  }
  {
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
  }
  --open_connections_;
  ::close(fd);
}

bool FakeInstance::SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    if (stopping_) {
      blocked_since_ = 0;
      return false;
    }
    const auto n = ::send(fd, bytes.data(), bytes.size(),
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      blocked_since_ = 0;
      bytes_sent_ += static_cast<std::uint64_t>(n);
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The gateway is not reading (yet): it lets this instance wait.
      std::int64_t none = 0;
      blocked_since_.compare_exchange_strong(
          none, std::chrono::steady_clock::now().time_since_epoch().count());
      pollfd waiting{fd, POLLOUT, 0};
      ::poll(&waiting, 1, kPollMs);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    blocked_since_ = 0;
    ++writes_refused_;
    return false;
  }
  return true;
}

std::chrono::milliseconds FakeInstance::write_blocked_for() const {
  const auto since = blocked_since_.load();
  if (since == 0) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch() -
      std::chrono::steady_clock::duration(since));
}

bool FakeInstance::WaitGate(const std::string& gate) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock,
                [&] { return stopping_.load() || open_gates_.contains(gate); });
  return !stopping_;
}

void FakeInstance::WaitUntilClosed(int fd) {
  while (!stopping_) {
    pollfd waiting{fd, POLLIN, 0};
    if (::poll(&waiting, 1, kPollMs) <= 0) continue;
    char discard[4096];
    const auto n = ::recv(fd, discard, sizeof(discard), 0);
    if (n <= 0) {
      ++closed_by_gateway_;
      return;
    }
  }
}

}  // namespace mcpgw::harness
