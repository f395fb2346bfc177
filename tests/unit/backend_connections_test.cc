// Idle keep-alive connections to instances are reused only while younger
// than kMaxIdle, measured on the injected clock (no waiting). A read of an
// answer is bounded on the connection's own loop and on another's alike.

#include "gateway/backend/backend_connections.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include "common/manual_clock.h"

namespace mcpgw::gateway {
namespace {

TEST(BackendConnections, IdleConnectionIsReusedOnlyWithinTheIdleLimit) {
  boost::asio::io_context io;
  common::ManualClock clock;
  BackendConnections connections(clock);
  connections.Give("i-1", std::make_unique<BackendConnection>(io.get_executor()));
  clock.Advance(BackendConnections::kMaxIdle - std::chrono::milliseconds(1));
  auto reused = connections.Take("i-1");
  ASSERT_NE(reused, nullptr);
  EXPECT_EQ(connections.Take("i-1"), nullptr);  // one was there

  connections.Give("i-1", std::move(reused));  // idle again from now
  clock.Advance(BackendConnections::kMaxIdle);
  EXPECT_EQ(connections.Take("i-1"), nullptr);
}

TEST(BackendConnections, ConnectionsBelongToTheirInstance) {
  boost::asio::io_context io;
  common::ManualClock clock;
  BackendConnections connections(clock);
  connections.Give("i-1", std::make_unique<BackendConnection>(io.get_executor()));
  EXPECT_EQ(connections.Take("i-2"), nullptr);
  connections.Forget("i-1");
  EXPECT_EQ(connections.Take("i-1"), nullptr);
}

TEST(BackendConnections, AConnectionOfTheCallersOwnLoopIsPreferred) {
  boost::asio::io_context loop_a;
  boost::asio::io_context loop_b;
  common::ManualClock clock;
  BackendConnections connections(clock);
  connections.Give("i-1", std::make_unique<BackendConnection>(loop_a.get_executor()));
  connections.Give("i-1", std::make_unique<BackendConnection>(loop_b.get_executor()));
  const asio::any_io_executor a = loop_a.get_executor();
  auto mine = connections.Take("i-1", a);
  ASSERT_NE(mine, nullptr);
  EXPECT_TRUE(mine->stream.get_executor() == a);
  // None of loop A's is left: another loop's is better than a new one.
  auto other = connections.Take("i-1", a);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->stream.get_executor() ==
              asio::any_io_executor(loop_b.get_executor()));
  EXPECT_EQ(connections.Take("i-1", a), nullptr);
}


// An instance that accepts and says nothing until told to.
struct SilentInstance {
  SilentInstance()
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  // A connection to it made on `executor`'s loop, and the instance's end.
  std::unique_ptr<BackendConnection> Connect(const asio::any_io_executor& executor) {
    auto connection = std::make_unique<BackendConnection>(executor);
    connection->stream.socket().connect(acceptor.local_endpoint());
    peer = std::make_unique<tcp::socket>(io);
    acceptor.accept(*peer);
    return connection;
  }
  asio::io_context io;
  tcp::acceptor acceptor;
  std::unique_ptr<tcp::socket> peer;
};

// One read of the connection within `bound`, run on `here`: its error as
// EndRead reports it.
beast::error_code BoundedRead(BackendConnection& connection,
                              const asio::any_io_executor& here,
                              std::chrono::milliseconds bound) {
  auto read = [&connection, bound]() -> asio::awaitable<beast::error_code> {
    const auto executor = co_await asio::this_coro::executor;
    char byte = 0;
    connection.StartRead(bound, executor);
    auto [ec, n] = co_await connection.stream.async_read_some(
        asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
    (void)n;
    co_return connection.EndRead(ec);
  };
  return asio::co_spawn(here, read, asio::use_future).get();
}

// Runs a loop on its own thread until destroyed.
struct LoopThread {
  LoopThread() : work(asio::make_work_guard(io)), thread([this] { io.run(); }) {}
  ~LoopThread() {
    work.reset();
    thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

// A read of a connection made on one loop, bounded by 100 ms, of an
// instance that says nothing: run on that loop, or on another.
beast::error_code SilentInstanceRead(bool on_another_loop) {
  SilentInstance instance;
  LoopThread own;
  LoopThread other;
  auto connection = instance.Connect(own.io.get_executor());
  const asio::any_io_executor here = on_another_loop
                                         ? other.io.get_executor()
                                         : own.io.get_executor();
  return BoundedRead(*connection, here, std::chrono::milliseconds(100));
}

TEST(BackendConnectionReads, ASilentInstanceTimesOutOnTheConnectionsOwnLoop) {
  const auto ec = SilentInstanceRead(/*on_another_loop=*/false);
  EXPECT_EQ(ec, beast::error::timeout) << ec.message();
}

TEST(BackendConnectionReads, ASilentInstanceTimesOutOnAnotherLoopsConnection) {
  const auto ec = SilentInstanceRead(/*on_another_loop=*/true);
  EXPECT_EQ(ec, beast::error::timeout) << ec.message();
}

TEST(BackendConnectionReads, AnEarlierReadsBoundDoesNotCutALaterRead) {
  SilentInstance instance;
  LoopThread loop;
  auto connection = instance.Connect(loop.io.get_executor());
  const asio::any_io_executor here = loop.io.get_executor();
  asio::write(*instance.peer, asio::buffer("a", 1));
  EXPECT_FALSE(BoundedRead(*connection, here, std::chrono::milliseconds(200)));
  // The first bound passes while the connection is idle; the next read,
  // bounded anew, gets its byte late in its own bound, not cut by the first.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::thread late([&instance] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asio::write(*instance.peer, asio::buffer("b", 1));
  });
  const auto ec = BoundedRead(*connection, here, std::chrono::seconds(5));
  late.join();
  EXPECT_FALSE(ec) << ec.message();
  // An idle connection dropped on another thread (here, the test's) while
  // its bound's timer still waits on the loop: nothing is left to cut.
  common::ManualClock clock;
  BackendConnections connections(clock);
  connections.Give("i-1", std::move(connection));
  connections.Forget("i-1");
}

}  // namespace
}  // namespace mcpgw::gateway
