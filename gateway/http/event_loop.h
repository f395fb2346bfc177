#pragma once
// The gateway's io_context, with a way to destroy the work it still holds
// before the objects that work uses.
//
// When the event loop stops (shutdown: the grace period is over), handlers
// may still be pending: coroutine frames of requests that the grace period
// cut, suspended on a socket or a timer. Their locals hold leases on the
// instance pool, concurrency slots of the request guard, references to the
// handlers. An io_context destroys such frames only in its own destructor,
// and the io_context has to be destroyed after the pool (a runtime thread
// finishing an instance's exit may drop idle sockets of this context
// through the pool's gone-listener while the pool goes). So the frames
// would go after the pool: a lease released into a destroyed pool.
//
// DestroyPendingWork() does now what the destructor's first step does:
// every service of the context is shut down, and every handler still
// queued or waiting on an operation is destroyed (without being run), so
// frames release what they hold while its owners are alive. The context
// itself stays: sockets and timers that still exist can be closed and
// destroyed afterwards (their services are shut down, not destroyed), and
// its destructor does nothing more for the work already gone.

#include <boost/asio/io_context.hpp>

namespace mcpgw::gateway {

class EventLoop : public boost::asio::io_context {
 public:
  using boost::asio::io_context::io_context;

  // Call once no thread runs the loop any more (run() returned everywhere).
  void DestroyPendingWork() {
    shutdown();
    // A destroyed frame may queue a handler in its turn (the completion of
    // an operation its destructor cancelled): a second pass destroys those
    // too. Shutting services down again is a no-op for what is gone (the
    // destructor does it once more as well).
    shutdown();
  }
};

}  // namespace mcpgw::gateway
