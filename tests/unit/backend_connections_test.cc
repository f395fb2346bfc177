// Idle keep-alive connections to instances are reused only while younger
// than kMaxIdle, measured on the injected clock (no waiting).

#include "gateway/backend/backend_connections.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

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

}  // namespace
}  // namespace mcpgw::gateway
