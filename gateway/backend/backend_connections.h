#pragma once
// Idle keep-alive connections to instances, per instance, so that a request
// does not pay for a TCP handshake.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

#include "common/clock.h"
#include "common/mutex.h"
#include "gateway/http/http_types.h"
#include "gateway/http/read_deadline.h"

namespace mcpgw::gateway {

struct BackendConnection {
  explicit BackendConnection(const asio::any_io_executor& executor)
      : stream(executor), read_deadline(stream) {}

  // A read of the instance's answer starts, bounded by `timeout`; `here`
  // is the executor of the coroutine that reads. On the connection's own
  // loop the bound is `read_deadline`, which arms its timer at most once
  // per period (Beast's arms and cancels one around every read: some 1,100
  // instructions a request, issue 19); on another loop's connection (taken
  // from another I/O thread's) it is Beast's, whose timer runs there as the
  // socket's completions do.
  void StartRead(std::chrono::steady_clock::duration timeout,
                 const asio::any_io_executor& here);
  // The read ended with `ec`. Returns the error to report: a read either
  // bound cut ends with Beast's timeout error.
  beast::error_code EndRead(beast::error_code ec);

  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read past the previous response
  std::chrono::steady_clock::time_point idle_since;
  // The event pump's body buffer (sse_relay.cc), made on the connection's
  // first event stream and kept with it: in the pump's coroutine frame it
  // made a 4.5 KB block a request, which takes malloc's slow path.
  std::unique_ptr<char[]> event_chunk;
  ReadDeadline read_deadline;
  // Beast's timer bounds the read running (StartRead on another loop).
  bool beast_bound = false;
};

class BackendConnections {
 public:
  // Node closes idle keep-alive sockets after 5 s; reusing one near that
  // edge races its close, so connections idle longer are dropped.
  static constexpr std::chrono::milliseconds kMaxIdle{3'000};
  static constexpr std::size_t kMaxIdlePerInstance = 64;

  // Idle time is measured on `clock`.
  explicit BackendConnections(const common::Clock& clock) : clock_(clock) {}

  // An idle connection to the instance, or nullptr: one made on the
  // `preferred` executor's loop if there is one (its completions then need
  // no hop to another I/O thread), else the most recently used.
  std::unique_ptr<BackendConnection> Take(
      const std::string& instance_id,
      const asio::any_io_executor& preferred = {});
  void Give(const std::string& instance_id,
            std::unique_ptr<BackendConnection> connection);
  // Drops every idle connection of an instance that is gone.
  void Forget(const std::string& instance_id);
  // Drops every idle connection.
  void Clear();

 private:
  const common::Clock& clock_;
  Mutex mutex_;
  std::unordered_map<std::string,
                     std::vector<std::unique_ptr<BackendConnection>>>
      idle_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::gateway
