// The 2026-07-28 request metadata checks and the unsupported-version shapes
// of each era (gateway/mcp/request_metadata.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/mcp/request_metadata.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

namespace rpc_code = policies::rpc_code;

nlohmann::json ToolsCall(std::string name, std::string version = "2026-07-28") {
  return {{"jsonrpc", "2.0"},
          {"id", 7},
          {"method", "tools/call"},
          {"params",
           {{"name", std::move(name)},
            {"arguments", nlohmann::json::object()},
            {"_meta",
             {{"io.modelcontextprotocol/protocolVersion", std::move(version)},
              {"io.modelcontextprotocol/clientCapabilities",
               nlohmann::json::object()}}}}}};
}

Request Post(std::vector<std::pair<std::string, std::string>> headers) {
  Request request{http::verb::post, "/mcp", 11};
  for (const auto& [name, value] : headers) request.set(name, value);
  return request;
}

TEST(RequestMetadata, MatchingHeadersPass) {
  const auto request = Post({{"MCP-Protocol-Version", "2026-07-28"},
                             {"Mcp-Method", "tools/call"},
                             {"Mcp-Name", "execute_sql"}});
  EXPECT_FALSE(CheckRequestMetadata(request, ToolsCall("execute_sql")));
}

TEST(RequestMetadata, SpacesAroundAValueAndBase64AreAccepted) {
  EXPECT_FALSE(CheckRequestMetadata(
      Post({{"MCP-Protocol-Version", "2026-07-28"},
            {"Mcp-Method", "tools/call"},
            {"Mcp-Name", "  execute_sql\t"}}),
      ToolsCall("execute_sql")));
  // "Hello, 世界" travels Base64-encoded.
  EXPECT_FALSE(CheckRequestMetadata(
      Post({{"MCP-Protocol-Version", "2026-07-28"},
            {"Mcp-Method", "tools/call"},
            {"Mcp-Name", "=?base64?SGVsbG8sIOS4lueVjA==?="}}),
      ToolsCall("Hello, 世界")));
}

TEST(RequestMetadata, EveryMismatchIs400WithHeaderMismatch) {
  struct Case {
    const char* what;
    std::vector<std::pair<std::string, std::string>> headers;
    nlohmann::json body;
  };
  const std::vector<Case> cases = {
      {"method differs",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/list"},
        {"Mcp-Name", "x"}},
       ToolsCall("x")},
      {"method missing",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Name", "x"}},
       ToolsCall("x")},
      {"name differs",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"},
        {"Mcp-Name", "y"}},
       ToolsCall("x")},
      {"name missing",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}},
       ToolsCall("x")},
      {"name not ASCII",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"},
        {"Mcp-Name", "caf\xc3\xa9"}},
       ToolsCall("caf\xc3\xa9")},
      {"broken Base64",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"},
        {"Mcp-Name", "=?base64?***?="}},
       ToolsCall("x")},
      {"version differs from _meta",
       {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"},
        {"Mcp-Name", "x"}},
       ToolsCall("x", "v999.0.0")},
      {"version header missing", {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "x"}},
       ToolsCall("x")},
  };
  for (const auto& c : cases) {
    const auto refusal = CheckRequestMetadata(Post(c.headers), c.body);
    ASSERT_TRUE(refusal) << c.what;
    EXPECT_EQ(refusal->status, http::status::bad_request) << c.what;
    EXPECT_EQ(refusal->rpc_code, rpc_code::kHeaderMismatch) << c.what;
    EXPECT_NE(refusal->message.find("Header mismatch"), std::string::npos)
        << c.what;
  }
}

TEST(RequestMetadata, NotificationsAndResourceUrisAreJudgedRightly) {
  const nlohmann::json notification = {{"jsonrpc", "2.0"},
                                       {"method", "notifications/cancelled"}};
  EXPECT_FALSE(CheckRequestMetadata(Post({}), notification));
  const nlohmann::json read = {
      {"jsonrpc", "2.0"},
      {"id", "r"},
      {"method", "resources/read"},
      {"params", {{"uri", "file:///a b"}}}};
  EXPECT_FALSE(CheckRequestMetadata(
      Post({{"MCP-Protocol-Version", "2026-07-28"},
            {"Mcp-Method", "resources/read"},
            {"Mcp-Name", "file:///a b"}}),
      read));
  EXPECT_TRUE(CheckRequestMetadata(
      Post({{"MCP-Protocol-Version", "2026-07-28"},
            {"Mcp-Method", "resources/read"},
            {"Mcp-Name", "file:///other"}}),
      read));
}

TEST(UnsupportedVersion, StatelessClientsGetTheirRevisionsShape) {
  const auto reply = UnsupportedVersionReply("v999.0.0", ToolsCall("x", "v999.0.0"));
  EXPECT_EQ(reply.status, http::status::bad_request);
  EXPECT_EQ(reply.rpc_code, rpc_code::kUnsupportedProtocolVersionModern);
  EXPECT_EQ(reply.data["requested"], "v999.0.0");
  EXPECT_EQ(reply.data["supported"], nlohmann::json::array({"2026-07-28"}));
  // A later date is a client of the stateless era too, body or not.
  EXPECT_EQ(UnsupportedVersionReply("2027-01-01", nullptr).rpc_code,
            rpc_code::kUnsupportedProtocolVersionModern);
}

TEST(UnsupportedVersion, OlderClientsGetTheGatewaysCode) {
  const nlohmann::json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}};
  const auto reply = UnsupportedVersionReply("1999-01-01", ping);
  EXPECT_EQ(reply.status, http::status::bad_request);
  EXPECT_EQ(reply.rpc_code, rpc_code::kUnsupportedProtocolVersion);
  EXPECT_TRUE(reply.data.is_null());
  EXPECT_NE(reply.message.find("2025-06-18"), std::string::npos) << reply.message;
}

TEST(GatewayCodes, NoneInTheRangeJsonRpcReserves) {
  for (const int code :
       {rpc_code::kMissingCredentials, rpc_code::kBadTarget,
        rpc_code::kBackendStartFailed, rpc_code::kNoCapacity,
        rpc_code::kBackendFailed, rpc_code::kShuttingDown, rpc_code::kForbidden,
        rpc_code::kUnauthorized, rpc_code::kRateLimited, rpc_code::kTenantLimit,
        rpc_code::kInstanceBusy, rpc_code::kUnknownSession,
        rpc_code::kUnsupportedProtocolVersion, rpc_code::kStreamGone,
        rpc_code::kNotBridgeable}) {
    EXPECT_FALSE(code >= -32768 && code <= -32000) << code;
  }
}

}  // namespace
}  // namespace mcpgw::gateway
