// The heads written by hand for the hot path are byte for byte what Beast's
// serializer writes for the same message.

#include "gateway/backend/wire_head.h"

#include <gtest/gtest.h>

#include <sstream>

#include <boost/beast/http/write.hpp>

namespace mcpgw::gateway {
namespace {

template <bool isRequest>
std::string BeastHead(const http::header<isRequest>& header) {
  std::ostringstream out;
  out << header;
  return out.str();
}

TEST(WireHead, ResponseHeadIsWhatBeastWritesWithTheInstancesReasonOrTheStandardOne) {
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "text/event-stream");
  response.body() = "data: 1\n\n";
  response.prepare_payload();
  EXPECT_EQ(ResponseHead(response), BeastHead<false>(response));
  EXPECT_TRUE(ResponseHead(response).starts_with("HTTP/1.1 200 OK\r\n"));

  response.result(http::status::not_found);
  response.reason("Nope");
  EXPECT_EQ(ResponseHead(response), BeastHead<false>(response));
  EXPECT_TRUE(ResponseHead(response).starts_with("HTTP/1.1 404 Nope\r\n"));
}

TEST(WireHead, AnHttp10HeadIsWhatBeastWritesToo) {
  http::response<http::string_body> response{http::status::ok, 10};
  response.set(http::field::content_type, "text/event-stream");
  response.set(http::field::connection, "close");
  EXPECT_EQ(ResponseHead(response), BeastHead<false>(response));
  EXPECT_TRUE(ResponseHead(response).starts_with("HTTP/1.0 200 OK\r\n"));
}

// The head an event stream had when it was a copy of the instance's head
// with its fields set through Beast.
std::string EventStreamHeadThroughBeast(http::response_header<> head,
                                        unsigned version, bool keep_alive) {
  head.version(version);
  head.erase(http::field::content_length);
  head.erase(http::field::transfer_encoding);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  const bool chunked = version >= 11;
  if (chunked) head.set(http::field::transfer_encoding, "chunked");
  head.set(http::field::connection,
           keep_alive && chunked ? "keep-alive" : "close");
  return BeastHead<false>(head);
}

TEST(WireHead, EventStreamHeadIsWhatBeastWritesForTheSameFields) {
  http::response_header<> instance;
  instance.result(http::status::ok);
  instance.set(http::field::server, "nginx");
  instance.set(http::field::date, "Sun, 06 Dec 2026 03:00:00 GMT");
  instance.set(http::field::content_type, "text/event-stream; charset=utf-8");
  instance.set(http::field::transfer_encoding, "chunked");
  instance.set(http::field::connection, "keep-alive");
  instance.insert(http::field::cache_control, "no-store");
  instance.insert(http::field::cache_control, "private");
  instance.set(http::field::content_length, "12");
  instance.insert("X-Custom", "1");
  instance.insert("x-custom", "2");
  http::response_header<> own;
  own.result(http::status::ok);
  http::response_header<> odd;
  odd.result(http::status::accepted);
  odd.reason("Taken");
  for (const auto* from : {&instance, &own, &odd}) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {false, true}) {
        EXPECT_EQ(EventStreamHead(*from, version, keep_alive),
                  EventStreamHeadThroughBeast(*from, version, keep_alive))
            << version << " " << keep_alive;
      }
    }
  }
  EXPECT_EQ(OwnEventStreamHead(11, true), EventStreamHead(own, 11, true));
  EXPECT_TRUE(OwnEventStreamHead(11, true).starts_with("HTTP/1.1 200 OK\r\n"));
  // The instance's head is only read.
  EXPECT_EQ(instance[http::field::content_length], "12");
}

TEST(WireHead, ChunkFramingIsTheChunkedCodingsOwn) {
  EXPECT_EQ(ChunkSizeLine(0).text(), "0\r\n");
  EXPECT_EQ(ChunkSizeLine(26).text(), "1a\r\n");
  EXPECT_EQ(ChunkSizeLine(16 * 1024).text(), "4000\r\n");
  EXPECT_EQ(ChunkSizeLine(SIZE_MAX).text(), "ffffffffffffffff\r\n");
  std::string line;
  AppendField(line, "Mcp-Session-Id", "s-1");
  EXPECT_EQ(line, "Mcp-Session-Id: s-1\r\n");
}

}  // namespace
}  // namespace mcpgw::gateway
