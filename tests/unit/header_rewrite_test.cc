#include "gateway/backend/header_rewrite.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

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
  const auto out = BuildBackendRequest(ClientRequest(),
                                       {"127.0.0.1", 41234, "instance-token"});
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

TEST(BuildBackendRequest, KeepsProtocolHeadersUnchanged) {
  const auto out = BuildBackendRequest(ClientRequest(),
                                       {"127.0.0.1", 41234, "instance-token"});
  EXPECT_EQ(out["MCP-Protocol-Version"], "2025-06-18");
  EXPECT_EQ(out["Mcp-Method"], "tools/call");
  EXPECT_EQ(out["Mcp-Name"], "execute_sql");
  // 2026-07-28: an intermediary forwards Mcp-Param-* as it came (the
  // instance, which knows the tool's schema, checks it).
  EXPECT_EQ(out["Mcp-Param-Region"], "=?base64?dXMtd2VzdDE=?=");
}

TEST(BuildBackendRequest, KeepsEndToEndHeadersBodyAndTarget) {
  const auto client = ClientRequest();
  const auto out = BuildBackendRequest(client, {"127.0.0.1", 1, "t"});
  EXPECT_EQ(out.method(), http::verb::post);
  EXPECT_EQ(out.target(), "/mcp");
  EXPECT_EQ(out["MCP-Protocol-Version"], "2025-06-18");
  EXPECT_EQ(out[http::field::accept], "application/json, text/event-stream");
  EXPECT_EQ(out.body(), client.body());
  EXPECT_EQ(out[http::field::content_length], std::to_string(client.body().size()));
  EXPECT_TRUE(out.keep_alive());
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

}  // namespace
}  // namespace mcpgw::gateway
