#pragma once
// The gateway's I/O threads: one event loop per thread.
//
// A connection lives on one loop, chosen round robin when it is accepted,
// and every handler of it runs on that loop's thread. Its coroutines
// therefore never run at the same time (what a strand gave when all
// threads shared one loop) without a strand's cost on every completion: a
// lock, a shared_ptr and a type-erased executor copy per handler, some 8 %
// of a proxied request's CPU (docs/benchmarks.md, raw_capacity).
//
// Loop 0 is the main loop: listeners accept on it, and what is not a
// connection (signals, timers of the gateway itself) runs there too.
// Objects shared by connections stay thread-safe as before; an idle
// instance connection made on one loop may be reused from another
// (BackendConnections prefers the caller's own).

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "gateway/http/event_loop.h"

namespace mcpgw::gateway {

class IoThreads {
 public:
  // `count` loops (at least one).
  explicit IoThreads(int count);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  EventLoop& main() { return *loops_.front(); }
  // The loop a new connection goes to.
  EventLoop& NextForConnection();

  // One thread per loop; the loops run until Stop().
  void Start();
  // Stops every loop (their threads return once the handler running now
  // returns). Any thread may call it.
  void Stop();
  // Waits for the threads started by Start().
  void Join();
  // EventLoop::DestroyPendingWork on every loop; once the threads have
  // returned.
  void DestroyPendingWork();

 private:
  using WorkGuard =
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  // A loop with nothing to do would return at once: each is kept running
  // until Stop().
  std::vector<std::optional<WorkGuard>> keep_running_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace mcpgw::gateway
