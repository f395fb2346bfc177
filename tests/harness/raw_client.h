#pragma once
// A client of the gateway on a plain socket, for what an HTTP library
// hides: a response read while it is still streaming, a body that ends
// without its last chunk, a connection broken on purpose, and a client that
// stops reading (a small receive buffer it never drains).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/harness/wait.h"

namespace mcpgw::harness {

struct HeaderList {
  std::vector<std::pair<std::string, std::string>> fields;
  HeaderList& Add(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// "POST /mcp" with a JSON body, the Accept header MCP asks for and `extra`.
std::string PostRequest(std::uint16_t port, const std::string& path,
                        const std::string& body, const HeaderList& extra,
                        const std::string& method = "POST");
std::string GetRequest(std::uint16_t port, const std::string& path,
                       const HeaderList& extra);

struct ClientResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;      // de-chunked, as far as it came
  bool complete = false; // the body ended properly (last chunk / length)
  bool closed = false;   // the connection closed (or broke)

  std::string Header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  nlohmann::json Json() const {
    return nlohmann::json::parse(body, nullptr, false);
  }
};

class RawClient {
 public:
  // `receive_buffer` > 0: SO_RCVBUF before connecting (a slow client).
  explicit RawClient(std::uint16_t port, int receive_buffer = 0);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);

  // Reads one response: until its head has come, then until its body
  // contains `body_contains` (empty: until the body ends or the connection
  // closes), or `timeout` passes. Call again to read on.
  ClientResponse& Read(const std::string& body_contains = {},
                       std::chrono::milliseconds timeout = kEventDeadline);
  ClientResponse& response();
  // Starts the next response on this connection (keep-alive).
  void NextResponse();

  // Sends `request` and reads its whole answer.
  ClientResponse Exchange(const std::string& request);

  // Closes at once; with `reset`, unread data or not, the peer sees an RST.
  void Close(bool reset = false);

 private:
  struct Parser;
  int fd_ = -1;
  std::unique_ptr<Parser> parser_;
  ClientResponse response_;
};

}  // namespace mcpgw::harness
