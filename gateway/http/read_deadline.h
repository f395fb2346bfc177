#pragma once
// How long a client connection may take to send its next request, checked
// the way nginx checks its timers: starting a read stores a time, and one
// timer per connection, armed at most once per timeout period, closes the
// socket when it finds a read still running past its deadline.
//
// beast::tcp_stream's own timeout arms a timer wait before every read and
// cancels it after, and the cancelled wait then completes as a handler of
// its own: some 1,100 instructions a request on a kept-alive connection
// (issue 19, docs/benchmarks.md raw_capacity). The connection's reads go
// without it (expires_never) and use this instead; its writes keep Beast's.
//
// Single-threaded: every call, and the timer's handler, runs on the
// connection's loop (a client connection never leaves it, io_threads.h; an
// instance connection uses it only on its own loop, backend_connections.h).
// The one exception is the destructor, which may run on another thread
// while no read runs (an idle instance connection dropped): the handler
// then reads only `reading`, which nobody writes any more.

#include <chrono>
#include <memory>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

class ReadDeadline {
 public:
  explicit ReadDeadline(beast::tcp_stream& stream);
  // Cancels the timer: its handler, still to run, then finds no stream.
  ~ReadDeadline();
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

  // A read starts and must end within `timeout` (the whole of it: a
  // request sent a byte at a time is cut as one sent not at all).
  void Start(std::chrono::steady_clock::duration timeout);
  // The read ended: the timer, if armed, leaves the socket alone.
  void Stop();
  // The socket was closed because a read ran past its deadline.
  bool expired() const;

 private:
  struct State;
  static void Arm(const std::shared_ptr<State>& state);

  // Shared with the timer's pending handler, which may outlive this.
  std::shared_ptr<State> state_;
};

}  // namespace mcpgw::gateway
