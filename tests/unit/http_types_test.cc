// The walks over a message's fields that stand in for Beast's tree lookups
// on the request path: they must answer what Beast's own answer.
#include "gateway/http/http_types.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

TEST(KeepAliveTest, SaysWhatBeastsKeepAliveSays) {
  const std::vector<std::vector<std::string>> connections = {
      {},
      {"close"},
      {"keep-alive"},
      {"Keep-Alive"},
      {"CLOSE"},
      {"upgrade, close"},
      {"Keep-Alive, Upgrade"},
      {" keep-alive ,x-hop"},
      {"closed"},
      {""},
      {"x-hop", "close"},
      {"keep-alive", "close"},
      {"close", "keep-alive"},
  };
  int compared = 0;
  for (const unsigned version : {10u, 11u}) {
    for (const auto& fields : connections) {
      Request request{http::verb::post, "/mcp", version};
      Response response{http::status::ok, version};
      request.set(http::field::content_type, "application/json");
      for (const auto& value : fields) {
        request.insert(http::field::connection, value);
        response.insert(http::field::connection, value);
      }
      response.set(http::field::server, "x");
      EXPECT_EQ(KeepAlive(request), request.keep_alive())
          << version << " " << testing::PrintToString(fields);
      EXPECT_EQ(KeepAlive(response.base()), response.keep_alive())
          << version << " " << testing::PrintToString(fields);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 26);
}

TEST(FindHeaderTest, FindsTheFirstOfANameInRequestsAndResponses) {
  Response response{http::status::ok, 11};
  response.insert("X-Thing", "first");
  response.insert(http::field::content_type, "text/event-stream");
  response.insert("x-thing", "second");
  EXPECT_EQ(FindHeader(response, "X-THING").value_or(""), "first");
  EXPECT_EQ(FindHeader(response.base(), http::field::content_type).value_or(""),
            "text/event-stream");
  EXPECT_FALSE(FindHeader(response, http::field::connection).has_value());
  EXPECT_FALSE(FindHeader(response, "X-Thin").has_value());
}

}  // namespace
}  // namespace mcpgw::gateway
