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
