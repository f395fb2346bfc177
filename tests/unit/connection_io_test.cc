// ReadDeadline (a client connection's read bound lazily by one timer) and
// WriteNow / WriteRest (a write made at once when the socket takes it), on
// real loopback sockets.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "gateway/http/read_deadline.h"
#include "gateway/http/write_now.h"

namespace mcpgw::gateway {
namespace {

using std::chrono::milliseconds;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A connected pair on loopback: `ours` as the gateway holds it, `peer` the
// other end.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : ours(io), peer(io) {
    tcp::acceptor acceptor(
        io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    ours.socket() = acceptor.accept();
  }
  beast::tcp_stream ours;
  tcp::socket peer;
};

// Runs `io` until `done()` or 10 s (a hung test fails, it does not hang).
template <typename Done>
void RunUntil(asio::io_context& io, Done done) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    io.run_for(milliseconds(20));
    if (io.stopped()) io.restart();
  }
}

// Lets `io` run for `wait`.
void RunFor(asio::io_context& io, milliseconds wait) {
  asio::steady_timer later(io, wait);
  bool waited = false;
  later.async_wait([&](const beast::error_code&) { waited = true; });
  RunUntil(io, [&] { return waited; });
}

// Reads one byte from `stream` under `deadline`; the error it ended with.
asio::awaitable<void> ReadOneByte(beast::tcp_stream& stream,
                                  ReadDeadline& deadline,
                                  milliseconds timeout,
                                  std::optional<beast::error_code>& result) {
  char byte = 0;
  deadline.Start(timeout);
  auto [ec, n] = co_await asio::async_read(stream, asio::buffer(&byte, 1),
                                          kUseTuple);
  (void)n;
  deadline.Stop();
  result = ec;
}

// A read under `deadline` that the peer answers at once; how it ended.
beast::error_code ReadSentByte(asio::io_context& io, SocketPair& pair,
                               ReadDeadline& deadline, milliseconds timeout) {
  std::optional<beast::error_code> result;
  asio::co_spawn(io, ReadOneByte(pair.ours, deadline, timeout, result),
                 asio::detached);
  asio::write(pair.peer, asio::buffer("x", 1));
  RunUntil(io, [&] { return result.has_value(); });
  return result.value_or(asio::error::timed_out);
}

TEST(ReadDeadlineTest, AReadPastItsDeadlineEndsWithTheSocketClosed) {
  asio::io_context io;
  SocketPair pair(io);
  ReadDeadline deadline(pair.ours);
  std::optional<beast::error_code> result;
  asio::co_spawn(
      io, ReadOneByte(pair.ours, deadline, milliseconds(50), result),
      asio::detached);
  RunUntil(io, [&] { return result.has_value(); });
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->failed());
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(pair.ours.socket().is_open());
}

TEST(ReadDeadlineTest, AReadThatEndedInTimeLeavesTheSocketOpen) {
  asio::io_context io;
  SocketPair pair(io);
  ReadDeadline deadline(pair.ours);
  ASSERT_FALSE(ReadSentByte(io, pair, deadline, milliseconds(50)).failed());
  // The timer, armed for the first read, wakes with no read running.
  RunFor(io, milliseconds(150));
  EXPECT_TRUE(pair.ours.socket().is_open());
  EXPECT_FALSE(deadline.expired());
  // A next read is served as usual.
  EXPECT_FALSE(ReadSentByte(io, pair, deadline, milliseconds(500)).failed());
}

TEST(ReadDeadlineTest, AReadStartedLaterHasItsOwnWholeTimeout) {
  asio::io_context io;
  SocketPair pair(io);
  ReadDeadline deadline(pair.ours);
  // The first read arms the timer for t0 + 200 ms and ends at once.
  ASSERT_FALSE(ReadSentByte(io, pair, deadline, milliseconds(200)).failed());
  // At t0 + 100 ms a second read starts, due at t0 + 300 ms; at t0 + 250 ms
  // (after the timer's first wake) it must still be running. Timers of one
  // loop fire in the order of their times, however late the loop runs.
  std::optional<beast::error_code> second;
  bool checked = false;
  bool open_at_check = false;
  asio::steady_timer start_second(io, milliseconds(100));
  start_second.async_wait([&](const beast::error_code&) {
    asio::co_spawn(
        io, ReadOneByte(pair.ours, deadline, milliseconds(200), second),
        asio::detached);
  });
  asio::steady_timer check(io, milliseconds(250));
  check.async_wait([&](const beast::error_code&) {
    checked = true;
    open_at_check = pair.ours.socket().is_open() && !second.has_value();
  });
  const auto begun = std::chrono::steady_clock::now();
  RunUntil(io, [&] { return second.has_value(); });
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(checked);
  EXPECT_TRUE(open_at_check);
  EXPECT_TRUE(second->failed());
  EXPECT_TRUE(deadline.expired());
  EXPECT_GE(std::chrono::steady_clock::now() - begun, milliseconds(250));
}

TEST(ReadDeadlineTest, GoneWhileArmedLeavesTheSocketAlone) {
  asio::io_context io;
  SocketPair pair(io);
  {
    ReadDeadline deadline(pair.ours);
    deadline.Start(milliseconds(20));
  }
  RunFor(io, milliseconds(100));
  EXPECT_TRUE(pair.ours.socket().is_open());
}

TEST(WriteNowTest, AShortMessageGoesWhole) {
  asio::io_context io;
  SocketPair pair(io);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const std::string body = "hello";
  beast::error_code error;
  const std::size_t sent = WriteNow(
      pair.ours.socket(), {asio::buffer(head), asio::buffer(body)}, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(sent, head.size() + body.size());
  std::string got(sent, '\0');
  asio::read(pair.peer, asio::buffer(got));
  EXPECT_EQ(got, head + body);
}

TEST(WriteNowTest, WhatTheSocketCannotTakeGoesByWriteRest) {
  asio::io_context io;
  SocketPair pair(io);
  // Buffers far smaller than the message (Nagle off, as the gateway has
  // it: small segments would otherwise wait for delayed ACKs).
  pair.ours.socket().set_option(tcp::no_delay(true));
  pair.ours.socket().set_option(asio::socket_base::send_buffer_size(16384));
  pair.peer.set_option(asio::socket_base::receive_buffer_size(16384));
  std::string head(1000, 'h');
  std::string body(1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + i % 26);
  }
  const WritePieces pieces{asio::buffer(head), asio::buffer(body)};
  beast::error_code error;
  const std::size_t sent = WriteNow(pair.ours.socket(), pieces, error);
  ASSERT_FALSE(error) << error.message();
  ASSERT_LT(sent, head.size() + body.size());  // the buffers are far smaller
  std::optional<beast::error_code> rest_error;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        rest_error = co_await WriteRest(pair.ours, pieces, sent,
                                        std::chrono::seconds(10));
      },
      asio::detached);
  // The peer reads as the rest is written.
  std::string got(head.size() + body.size(), '\0');
  std::size_t read = 0;
  bool all_read = false;
  std::function<void()> read_more = [&] {
    pair.peer.async_read_some(
        asio::buffer(got.data() + read, got.size() - read),
        [&](const beast::error_code& ec, std::size_t n) {
          read += n;
          if (ec || read == got.size()) {
            all_read = true;
            return;
          }
          read_more();
        });
  };
  read_more();
  RunUntil(io, [&] { return all_read && rest_error.has_value(); });
  ASSERT_TRUE(rest_error.has_value());
  EXPECT_FALSE(*rest_error) << rest_error->message();
  ASSERT_EQ(read, got.size());
  EXPECT_EQ(got, head + body);
}

TEST(WriteNowTest, APeerThatClosedIsAnError) {
  asio::io_context io;
  SocketPair pair(io);
  // An abortive close: the next sends meet a reset connection.
  pair.peer.set_option(asio::socket_base::linger(true, 0));
  pair.peer.close();
  const std::string message(1024, 'x');
  beast::error_code error;
  for (int i = 0; i < 100 && !error; ++i) {
    WriteNow(pair.ours.socket(), {asio::buffer(message), asio::const_buffer()},
             error);
    if (!error) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_TRUE(error.failed());
}

}  // namespace
}  // namespace mcpgw::gateway
