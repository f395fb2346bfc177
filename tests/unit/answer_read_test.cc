// An instance's answer read into its parser from the socket (answer_read.h):
// what Beast's http::async_read_header and http::async_read_some give for
// the same bytes, against a real loopback connection.

#include "gateway/backend/answer_read.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace mcpgw::gateway {
namespace {

using Parser = http::response_parser<http::buffer_body>;

// A loop on its own thread, a connection made on it to an instance whose
// end (`peer`) the test writes.
class AnswerReadTest : public ::testing::Test {
 protected:
  AnswerReadTest()
      : work_(asio::make_work_guard(loop_)),
        acceptor_(loop_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        peer_(loop_),
        connection_(loop_.get_executor()) {
    connection_.stream.socket().connect(acceptor_.local_endpoint());
    acceptor_.accept(peer_);
    thread_ = std::thread([this] { loop_.run(); });
    parser_.body_limit(boost::none);
  }
  ~AnswerReadTest() override {
    work_.reset();
    loop_.stop();
    thread_.join();
  }

  void Send(std::string_view bytes) { asio::write(peer_, asio::buffer(bytes)); }

  // One ReadAnswer on the loop, bounded by a second; its error.
  beast::error_code Read(ReadUntil until) {
    auto read = [this, until]() -> asio::awaitable<beast::error_code> {
      connection_.StartRead(std::chrono::seconds(1),
                            co_await asio::this_coro::executor);
      const auto ec = co_await ReadAnswer(connection_, parser_, until);
      co_return connection_.EndRead(ec);
    };
    return asio::co_spawn(loop_, read, asio::use_future).get();
  }

  // Reads the body until the parser is done: what came, and the last error.
  std::string ReadBody(beast::error_code& last) {
    std::string body;
    char room[4];  // small: the body comes in several pieces
    while (!parser_.is_done()) {
      parser_.get().body().data = room;
      parser_.get().body().size = sizeof(room);
      last = Read(ReadUntil::kProgress);
      body.append(room, sizeof(room) - parser_.get().body().size);
      if (last && last != http::error::need_buffer) break;
    }
    return body;
  }

  asio::io_context loop_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  tcp::socket peer_;
  BackendConnection connection_;
  Parser parser_;
  std::thread thread_;
};

TEST_F(AnswerReadTest, AHeadSentInPiecesIsReadWhole) {
  std::thread late([this] {
    Send("HTTP/1.1 200 OK\r\nContent-Type: appl");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Send("ication/json\r\nContent-Length: 11\r\n\r\n{\"a\":");
  });
  const auto ec = Read(ReadUntil::kHead);
  late.join();
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser_.is_header_done());
  EXPECT_EQ(parser_.get()[http::field::content_type], "application/json");
  Send("\"bcd\"}");
  beast::error_code last;
  EXPECT_EQ(ReadBody(last), "{\"a\":\"bcd\"}");
  EXPECT_FALSE(last && last != http::error::need_buffer) << last.message();
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(AnswerReadTest, AnAnswerThatEndsWithTheConnectionIsWhole) {
  Send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, world");
  peer_.shutdown(tcp::socket::shutdown_send);
  ASSERT_FALSE(Read(ReadUntil::kHead));
  beast::error_code last;
  EXPECT_EQ(ReadBody(last), "hello, world");
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(AnswerReadTest, AConnectionClosedBeforeAnAnswerIsEndOfStream) {
  peer_.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(Read(ReadUntil::kHead), http::error::end_of_stream);
}

TEST_F(AnswerReadTest, AnAnswerCutInItsHeadIsPartial) {
  Send("HTTP/1.1 200 OK\r\nContent-Le");
  peer_.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(Read(ReadUntil::kHead), http::error::partial_message);
}

TEST_F(AnswerReadTest, BufferedBytesAreParsedWithoutWaitingForTheInstance) {
  // The whole answer is in the buffer already (read with the previous one);
  // the instance sends nothing, so a read would wait out the bound.
  const std::string_view answer =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const auto space = connection_.buffer.prepare(answer.size());
  std::memcpy(space.data(), answer.data(), answer.size());
  connection_.buffer.commit(answer.size());
  ASSERT_FALSE(Read(ReadUntil::kHead));
  beast::error_code last;
  EXPECT_EQ(ReadBody(last), "ok");
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(AnswerReadTest, BodyBytesWithoutRoomWaitForIt) {
  Send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde");
  ASSERT_FALSE(Read(ReadUntil::kHead));
  parser_.get().body().data = nullptr;
  parser_.get().body().size = 0;
  EXPECT_EQ(Read(ReadUntil::kProgress), http::error::need_buffer);
}

TEST_F(AnswerReadTest, AnInstanceThatSaysNothingTimesOut) {
  EXPECT_EQ(Read(ReadUntil::kHead), beast::error::timeout);
}

}  // namespace
}  // namespace mcpgw::gateway
