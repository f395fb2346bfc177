#pragma once
// A scriptable MCP backend on 127.0.0.1:<free port>, standing in for a DBHub
// instance (Envoy's "fake upstream"). It records every request it gets and
// answers each one from a script: a JSON body, an event stream written in
// pieces (each may first wait for a gate the test opens), a stream cut in
// the middle of an event or between two, a stream held open, or no answer.
//
// Plain blocking sockets on threads of its own (one per connection), so it
// never shares an event loop with the gateway under test. Writes are
// non-blocking with poll(): a gateway that stops reading shows up as
// `write_blocked_for`, the bytes written so far as `bytes_sent`.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgw::harness {

struct RecordedRequest {
  std::string method;  // HTTP method
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  bool Has(const std::string& lower_name) const {
    return headers.contains(lower_name);
  }
  std::string Header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // The JSON-RPC method of a POST body ("" when none).
  std::string RpcMethod() const;
};

// One piece of an answer's body, written `repeat` times (a bulk stream),
// after `wait_gate` (if set) has been opened by the test.
struct Piece {
  std::string bytes;
  std::string wait_gate = {};
  std::size_t repeat = 1;
};

struct Reply {
  enum class End {
    kComplete,   // the body ends properly (last chunk, or Content-Length)
    kCloseCut,   // the connection closes after the pieces, no last chunk
    kHoldOpen,   // the body stays open until the gateway closes it
  };
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // Chunked (an event stream) or one Content-Length body (the pieces
  // joined; no gates then).
  bool chunked = false;
  std::vector<Piece> pieces;
  End end = End::kComplete;
  // Read the request, answer nothing, wait until the gateway closes.
  bool no_answer = false;
  // Chunked: the head and the first piece (ungated) in one write, so that
  // the gateway reads them together.
  bool head_with_first_piece = false;
  // Chunked: the head, every piece and the last chunk in one write (no
  // gates), so that the gateway reads the whole answer with its head.
  bool whole_in_one_write = false;

  static Reply Json(const nlohmann::json& body, unsigned status = 200);
  static Reply EventStream(std::vector<Piece> pieces, End end = End::kComplete);
  static Reply NoAnswer();
  static Reply Status(unsigned status);  // empty body
};

// "event: message\ndata: <json>\n\n".
std::string SseEvent(const nlohmann::json& message);
// A JSON-RPC result for `id`.
nlohmann::json RpcResult(const nlohmann::json& id, nlohmann::json result);

class FakeInstance {
 public:
  // The session id its initialize answers carry (Mcp-Session-Id).
  static constexpr const char* kBackendSession = "backend-session-1";

  FakeInstance();
  ~FakeInstance();
  FakeInstance(const FakeInstance&) = delete;
  FakeInstance& operator=(const FakeInstance&) = delete;

  std::uint16_t port() const { return port_; }

  // The next request whose key matches gets `reply` (keys: the JSON-RPC
  // method of a POST, else the HTTP method: "GET", "DELETE"). Unscripted
  // requests get defaults: initialize a result with kBackendSession,
  // notifications and responses 202, other requests an echo result, GET
  // 405, DELETE 200.
  void Script(const std::string& key, Reply reply);
  void OpenGate(const std::string& gate);

  std::vector<RecordedRequest> requests() const;
  // Requests whose key is `key`.
  std::vector<RecordedRequest> requests(const std::string& key) const;
  // Waits (bounded) until `count` requests with `key` have arrived.
  bool WaitForRequests(const std::string& key, std::size_t count) const;

  std::uint64_t bytes_sent() const { return bytes_sent_.load(); }
  // How long a write has been waiting for the gateway to take a byte (zero
  // when no write waits). A gateway that keeps reading, however slowly,
  // keeps this near zero; one that stopped lets it grow.
  std::chrono::milliseconds write_blocked_for() const;
  // Answers written to their end (kComplete, kCloseCut after its pieces).
  int answers_finished() const { return answers_finished_.load(); }
  // Writes that failed because the gateway closed the connection.
  int writes_refused() const { return writes_refused_.load(); }
  // Connections the gateway closed while this side waited (held open or
  // unanswered).
  int closed_by_gateway() const { return closed_by_gateway_.load(); }
  // Live connections from the gateway.
  int open_connections() const { return open_connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);
  Reply Choose(const RecordedRequest& request);
  // False when the connection is gone (or the fake stops).
  bool SendAll(int fd, std::string_view bytes);
  bool WaitGate(const std::string& gate);
  void WaitUntilClosed(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::thread> connections_;
  std::set<int> open_fds_;
  std::vector<RecordedRequest> requests_;
  std::map<std::string, std::deque<Reply>> script_;
  std::set<std::string> open_gates_;

  std::atomic<std::uint64_t> bytes_sent_{0};
  // Steady-clock ticks since a write began to wait; 0: none waits.
  std::atomic<std::int64_t> blocked_since_{0};
  std::atomic<int> answers_finished_{0};
  std::atomic<int> writes_refused_{0};
  std::atomic<int> closed_by_gateway_{0};
  std::atomic<int> open_connections_{0};
};

}  // namespace mcpgw::harness
