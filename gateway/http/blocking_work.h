#pragma once
// Blocking work (SQLite writes, reads under /proc, an engine's log fetch,
// file checks) must not run on the I/O threads: those few threads carry
// every client's traffic, and one slow disk or engine would stall all of
// it. A handler hands such work to a small pool of threads of its own and
// awaits the result; its coroutine resumes on its own executor (the
// connection's loop), so nothing else about it changes.
//
// The pool (an asio::thread_pool owned by the gateway app) is joined once
// the I/O threads have stopped, while everything the work uses still
// exists (src/gateway_app.cc).

#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// Threads of the gateway's blocking pool: two, so that one slow kind of
// work (a registry write held up by the disk) leaves room for another (an
// instance's logs).
inline constexpr int kBlockingThreads = 2;

// Runs `fn()` on `pool` and returns its result to the awaiting coroutine,
// on the coroutine's executor. An exception thrown by `fn` is rethrown in
// the coroutine, as if `fn` had run there. `fn` may refer to the caller's
// locals: the caller stays suspended until `fn` has returned.
template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn&>> RunBlocking(asio::thread_pool& pool,
                                                       Fn fn) {
  using Result = std::invoke_result_t<Fn&>;
  co_return co_await asio::co_spawn(
      pool.get_executor(),
      [fn = std::move(fn)]() mutable -> asio::awaitable<Result> {
        co_return fn();
      },
      asio::use_awaitable);
}

}  // namespace mcpgw::gateway
