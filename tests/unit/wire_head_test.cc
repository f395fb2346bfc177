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

}  // namespace
}  // namespace mcpgw::gateway
