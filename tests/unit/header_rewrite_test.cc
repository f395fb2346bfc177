#include "gateway/backend/header_rewrite.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <boost/beast/http/parser.hpp>

#include "runtime/pool_api.h"

namespace mcpgw::gateway {
namespace {

// The instance's own fields, as a lease gives them.
std::string Fields(const runtime::Endpoint& endpoint) {
  return runtime::InstanceRequestFields(endpoint);
}

// What the instance reads: the request as Beast's parser takes it off the
// wire, which also proves the text is well-formed HTTP/1.1.
Request OnTheWire(const BackendRequest& request) {
  const std::string text = request.Head() + request.body();
  http::request_parser<http::string_body> parser;
  beast::error_code ec;
  const std::size_t used = parser.put(asio::buffer(text), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << text;
  EXPECT_EQ(used, request.Head().size()) << text;
  if (!request.body().empty()) {
    parser.put(asio::buffer(text.data() + used, text.size() - used), ec);
    EXPECT_FALSE(ec) << ec.message() << "\n" << text;
  }
  if (!parser.is_done()) parser.put_eof(ec);
  EXPECT_TRUE(parser.is_done()) << text;
  return parser.release();
}

Request ClientRequest() {
  Request request{http::verb::post, "/mcp", 11};
  request.set(http::field::host, "gateway.example.com:8080");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/json, text/event-stream");
  request.set(http::field::authorization, "Bearer client-token");
  request.set(http::field::origin, "https://evil.example");
  request.set(http::field::cookie, "session=1");
  request.set("X-DBHub-DSN", "postgres://u:secret@h/db");
  request.set("Mcp-Session-Id", "abc");
  request.set("Last-Event-ID", "s1-2");
  request.set("MCP-Protocol-Version", "2025-06-18");
  request.set("Mcp-Method", "tools/call");
  request.set("Mcp-Name", "execute_sql");
  request.set("Mcp-Param-Region", "=?base64?dXMtd2VzdDE=?=");
  request.set(http::field::connection, "keep-alive, X-Hop");
  request.set("X-Hop", "1");
  request.set(http::field::te, "trailers");
  request.set("Proxy-Authorization", "Basic x");
  request.body() = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  request.prepare_payload();
  return request;
}

TEST(BuildBackendRequest, DropsCredentialsOriginAndHopByHopHeaders) {
  const auto out = OnTheWire(BuildBackendRequest(
      ClientRequest(), Fields({"127.0.0.1", 41234, "instance-token"})));
  EXPECT_EQ(out[http::field::host], "127.0.0.1:41234");
  EXPECT_EQ(out[http::field::authorization], "Bearer instance-token");
  EXPECT_EQ(out.count(http::field::origin), 0u);
  EXPECT_EQ(out.count(http::field::cookie), 0u);
  EXPECT_EQ(out.count("X-DBHub-DSN"), 0u);
  EXPECT_EQ(out.count("X-Hop"), 0u);
  EXPECT_EQ(out.count(http::field::te), 0u);
  EXPECT_EQ(out.count("Proxy-Authorization"), 0u);
  EXPECT_EQ(out.count(http::field::authorization), 1u);
  // Session and event ids are the gateway's own; the caller sets the
  // instance's session when it has one.
  EXPECT_EQ(out.count("Mcp-Session-Id"), 0u);
  EXPECT_EQ(out.count("Last-Event-ID"), 0u);
}

TEST(BuildBackendRequest, DropsAnExpectationTheGatewayMet) {
  auto request = ClientRequest();
  request.set(http::field::expect, "100-continue");
  const auto out = OnTheWire(
      BuildBackendRequest(request, Fields({"127.0.0.1", 41234, "instance-token"})));
  EXPECT_EQ(out.count(http::field::expect), 0u);
  EXPECT_EQ(out.body(), request.body());
}

TEST(BuildBackendRequest, KeepsProtocolHeadersUnchanged) {
  const auto out = OnTheWire(BuildBackendRequest(
      ClientRequest(), Fields({"127.0.0.1", 41234, "instance-token"})));
  EXPECT_EQ(out["MCP-Protocol-Version"], "2025-06-18");
  EXPECT_EQ(out["Mcp-Method"], "tools/call");
  EXPECT_EQ(out["Mcp-Name"], "execute_sql");
  // 2026-07-28: an intermediary forwards Mcp-Param-* as it came (the
  // instance, which knows the tool's schema, checks it).
  EXPECT_EQ(out["Mcp-Param-Region"], "=?base64?dXMtd2VzdDE=?=");
}

TEST(BuildBackendRequest, KeepsEndToEndHeadersBodyAndTarget) {
  const auto client = ClientRequest();
  const auto out = OnTheWire(BuildBackendRequest(client, Fields({"127.0.0.1", 1, "t"})));
  EXPECT_EQ(out.method(), http::verb::post);
  EXPECT_EQ(out.target(), "/mcp");
  EXPECT_EQ(out["MCP-Protocol-Version"], "2025-06-18");
  EXPECT_EQ(out[http::field::accept], "application/json, text/event-stream");
  EXPECT_EQ(out.body(), client.body());
  EXPECT_EQ(out[http::field::content_length], std::to_string(client.body().size()));
  EXPECT_TRUE(out.keep_alive());
  EXPECT_EQ(out.version(), 11u);
}

TEST(BuildBackendRequest, AnHttp10ClientsRequestGoesAsHttp11) {
  auto client = ClientRequest();
  client.version(10);
  const auto out = OnTheWire(BuildBackendRequest(client, Fields({"127.0.0.1", 1, "t"})));
  EXPECT_EQ(out.version(), 11u);
  EXPECT_TRUE(out.keep_alive());
  EXPECT_EQ(out.body(), client.body());
}

TEST(BackendRequest, TheInstancesSessionIsOneFieldReplacedWhenSetAgain) {
  auto request = BuildBackendRequest(ClientRequest(), Fields({"127.0.0.1", 1, "t"}));
  request.SetSession("first");
  request.SetSession("second");
  auto out = OnTheWire(request);
  EXPECT_EQ(out.count("Mcp-Session-Id"), 1u);
  EXPECT_EQ(out["Mcp-Session-Id"], "second");
  request.SetSession("");
  out = OnTheWire(request);
  EXPECT_EQ(out.count("Mcp-Session-Id"), 0u);
}

TEST(NewBackendRequest, CarriesTheInstancesCredentialsAndTheRevision) {
  auto post = NewBackendRequest(http::verb::post, R"({"jsonrpc":"2.0"})",
                                "2025-06-18", Fields({"127.0.0.1", 7, "tok"}));
  post.AddField("Mcp-Method", "tools/list");
  const auto out = OnTheWire(post);
  EXPECT_EQ(out.method(), http::verb::post);
  EXPECT_EQ(out.target(), "/mcp");
  EXPECT_EQ(out[http::field::host], "127.0.0.1:7");
  EXPECT_EQ(out[http::field::authorization], "Bearer tok");
  EXPECT_EQ(out[http::field::content_type], "application/json");
  EXPECT_EQ(out["MCP-Protocol-Version"], "2025-06-18");
  EXPECT_EQ(out["Mcp-Method"], "tools/list");
  EXPECT_EQ(out.body(), R"({"jsonrpc":"2.0"})");

  // A DELETE without a body says no length, as Beast would not either.
  auto end = NewBackendRequest(http::verb::delete_, "", "", Fields({"127.0.0.1", 7, "tok"}));
  end.SetSession("s-1");
  const auto ended = OnTheWire(end);
  EXPECT_EQ(ended.method(), http::verb::delete_);
  EXPECT_EQ(ended.count(http::field::content_length), 0u);
  EXPECT_EQ(ended.count("MCP-Protocol-Version"), 0u);
  EXPECT_EQ(ended["Mcp-Session-Id"], "s-1");
}

TEST(CleanBackendResponseHeaders, RemovesInstanceDetailsKeepsFraming) {
  http::fields fields;
  fields.set(http::field::content_type, "text/event-stream");
  fields.set(http::field::transfer_encoding, "chunked");
  fields.set("X-Powered-By", "Express");
  fields.set("Access-Control-Allow-Origin", "http://localhost");
  fields.set(http::field::connection, "keep-alive");
  fields.set("Keep-Alive", "timeout=5");
  fields.set("Mcp-Session-Id", "s");
  CleanBackendResponseHeaders(fields);
  EXPECT_EQ(fields[http::field::content_type], "text/event-stream");
  EXPECT_EQ(fields[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(fields["Mcp-Session-Id"], "s");
  EXPECT_EQ(fields.count("X-Powered-By"), 0u);
  EXPECT_EQ(fields.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(fields.count(http::field::connection), 0u);
  EXPECT_EQ(fields.count("Keep-Alive"), 0u);
}

TEST(CleanBackendResponseHeaders, DropsEveryRepeatAndWhatConnectionListsWhereverItIs) {
  http::fields fields;
  fields.insert("X-Listed", "before Connection");
  fields.insert("Access-Control-Allow-Origin", "a");
  fields.insert("Access-Control-Allow-Origin", "b");
  fields.insert(http::field::connection, " X-Listed ,x-other");
  fields.insert(http::field::connection, "keep-alive");
  fields.insert("X-Other", "1");
  fields.insert("X-Kept", "1");
  fields.insert("X-Kept", "2");
  CleanBackendResponseHeaders(fields);
  EXPECT_EQ(fields.count("X-Listed"), 0u);
  EXPECT_EQ(fields.count("X-Other"), 0u);
  EXPECT_EQ(fields.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(fields.count(http::field::connection), 0u);
  EXPECT_EQ(fields.count("X-Kept"), 2u);
}

// Every name Beast knows, upper-cased as no client writes it: the names
// judged through Beast's enum are judged as their spelling is.
std::set<std::string> KnownNamesKept(bool request_side) {
  Request request{http::verb::post, "/mcp", 11};
  http::fields fields;
  for (int i = 1; i <= static_cast<int>(http::field::xref); ++i) {
    std::string name(http::to_string(static_cast<http::field>(i)));
    for (auto& c : name) c = static_cast<char>(std::toupper(c));
    if (request_side) {
      request.insert(name, "v");
    } else {
      fields.insert(name, "v");
    }
  }
  std::set<std::string> kept;
  if (request_side) {
    const auto out = OnTheWire(BuildBackendRequest(request, ""));
    for (const auto& field : out) kept.insert(std::string(field.name_string()));
    kept.erase("Content-Length");  // the gateway's own, for the body it sends
  } else {
    CleanBackendResponseHeaders(fields);
    for (const auto& field : fields) {
      kept.insert(std::string(field.name_string()));
    }
  }
  return kept;
}

TEST(BuildBackendRequest, DropsExactlyTheNamesItShouldOfAllThatBeastKnows) {
  const auto kept = KnownNamesKept(true);
  for (const char* dropped :
       {"CONNECTION", "KEEP-ALIVE", "PROXY-CONNECTION", "PROXY-AUTHENTICATE",
        "PROXY-AUTHORIZATION", "TE", "TRAILER", "TRANSFER-ENCODING", "UPGRADE",
        "AUTHORIZATION", "COOKIE", "ORIGIN", "HOST", "EXPECT", "CONTENT-LENGTH"}) {
    EXPECT_EQ(kept.count(dropped), 0u) << dropped;
  }
  EXPECT_EQ(kept.count("ACCEPT"), 1u);
  EXPECT_EQ(kept.count("CONTENT-TYPE"), 1u);
  // All the others go on: fifteen of Beast's names dropped, none more.
  EXPECT_EQ(kept.size(), static_cast<std::size_t>(http::field::xref) - 15);
}

TEST(CleanBackendResponseHeaders, DropsExactlyTheNamesItShouldOfAllThatBeastKnows) {
  const auto kept = KnownNamesKept(false);
  std::size_t dropped = 0;
  for (int i = 1; i <= static_cast<int>(http::field::xref); ++i) {
    std::string name(http::to_string(static_cast<http::field>(i)));
    for (auto& c : name) c = static_cast<char>(std::toupper(c));
    const bool hop = name == "CONNECTION" || name == "KEEP-ALIVE" ||
                     name == "PROXY-CONNECTION" || name == "PROXY-AUTHENTICATE" ||
                     name == "PROXY-AUTHORIZATION" || name == "TE" ||
                     name == "TRAILER" || name == "UPGRADE";
    const bool instance_detail = name.starts_with("ACCESS-CONTROL-") ||
                                 name == "WWW-AUTHENTICATE" ||
                                 name == "X-POWERED-BY";
    const bool expect_dropped = hop || instance_detail;
    dropped += expect_dropped ? 1 : 0;
    EXPECT_EQ(kept.count(name), expect_dropped ? 0u : 1u) << name;
  }
  EXPECT_GT(dropped, 8u);  // the hop-by-hop ones and CORS's at least
  EXPECT_EQ(kept.count("TRANSFER-ENCODING"), 1u);
  EXPECT_EQ(kept.count("CONTENT-LENGTH"), 1u);
}

}  // namespace
}  // namespace mcpgw::gateway
