#pragma once
// Raw bytes to a listener and what came back: for requests no well-behaved
// client library would send (broken framing, CR/LF in header values, bytes
// trickled one at a time).

#include <chrono>
#include <string>

namespace mcpgw::it {

struct RawResponse {
  bool connected = false;
  // A whole HTTP response was read (then `status`, `headers`, `body` hold it).
  bool complete = false;
  // The server closed the connection (before or after a response).
  bool closed = false;
  unsigned status = 0;
  std::string headers;  // the raw header block, "Name: value\r\n" lines
  std::string content_type;
  std::string error;    // why reading stopped early, if it did
  std::string body;     // de-chunked
  std::string Describe() const;
};

struct RawOptions {
  std::chrono::milliseconds timeout{10000};
  // >0: send the request this many bytes at a time with `trickle_pause`
  // between pieces (slowloris); stops sending when the server closes.
  std::size_t trickle_bytes = 0;
  std::chrono::milliseconds trickle_pause{0};
  // Read nothing for this long after sending (a slow reader).
  std::chrono::milliseconds read_delay{0};
};

// An idle connection to 127.0.0.1:`port`, held open for its lifetime
// (connected() is false if connect failed).
class IdleConnection {
 public:
  explicit IdleConnection(int port);
  ~IdleConnection();
  IdleConnection(IdleConnection&& other) noexcept;
  IdleConnection& operator=(IdleConnection&&) = delete;
  IdleConnection(const IdleConnection&) = delete;
  IdleConnection& operator=(const IdleConnection&) = delete;
  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Connects to 127.0.0.1:`port`, sends `bytes`, reads one response (or until
// the server closes or `options.timeout` passes).
RawResponse RawExchange(int port, const std::string& bytes,
                        const RawOptions& options = {});

}  // namespace mcpgw::it
