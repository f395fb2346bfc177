#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_load/latency_recorder.h"
#include "mcp_load/mcp_response.h"
#include "mcp_load/options.h"

namespace mcpgw::loadtest {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSse = "text/event-stream";
constexpr std::string_view kJson = "application/json; charset=utf-8";

// What DBHub 1.4.0 sends for a successful execute_sql.
const std::string kDbhubOk =
    "event: message\n"
    R"(data: {"result":{"content":[{"type":"text","text":"{\"success\":true}"}]},"jsonrpc":"2.0","id":7})"
    "\n\n";

TEST(ClassifyResponse, DbhubSseResultIsOk) {
  EXPECT_EQ(ClassifyResponse(200, kSse, kDbhubOk, 7), Outcome::kOk);
}

TEST(ClassifyResponse, WrongIdIsNotOk) {
  EXPECT_EQ(ClassifyResponse(200, kSse, kDbhubOk, 8), Outcome::kWrongId);
}

TEST(ClassifyResponse, RpcErrorAndToolError) {
  EXPECT_EQ(ClassifyResponse(200, kJson, R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601}})", 3),
            Outcome::kRpcError);
  EXPECT_EQ(ClassifyResponse(200, kSse,
                             "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,"
                             "\"result\":{\"content\":[],\"isError\":true}}\n\n",
                             3),
            Outcome::kToolError);
}

TEST(ClassifyResponse, HttpErrorWinsOverBody) {
  EXPECT_EQ(ClassifyResponse(401, kJson, R"({"jsonrpc":"2.0","id":3,"result":{}})", 3),
            Outcome::kHttpStatus);
}

TEST(ClassifyResponse, GarbageAndUnknownTypes) {
  EXPECT_EQ(ClassifyResponse(200, kJson, "{not json", 1), Outcome::kBadResponse);
  EXPECT_EQ(ClassifyResponse(200, "text/html", "OK", 1), Outcome::kBadResponse);
  EXPECT_EQ(ClassifyResponse(200, kSse, "", 1), Outcome::kBadResponse);
  EXPECT_EQ(ClassifyResponse(200, kSse, "event: message\ndata: {oops\n\n", 1),
            Outcome::kBadResponse);
}

TEST(ClassifyResponse, SkipsNotificationsAndFindsResponseInBatch) {
  std::string body =
      ": keep-alive\r\n"
      "event: message\r\n"
      "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\r\n"
      "\r\n"
      "data: [{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},\r\n"
      "data:  {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}]\r\n";  // no final blank line
  EXPECT_EQ(ClassifyResponse(200, kSse, body, 2), Outcome::kOk);
}

TEST(SseMessageData, JoinsDataLinesAndIgnoresOtherEvents) {
  auto v = SseMessageData("event: ping\ndata: x\n\ndata: a\ndata:b\n\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "a\nb");
}

TEST(MakeToolCallBody, IsValidJsonRpcWithEscapedSql) {
  auto body = MakeToolCallBody("execute_sql", "SELECT \"x\" FROM t WHERE a = '\\'");
  auto j = nlohmann::json::parse(body.With(42));
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["method"], "tools/call");
  EXPECT_EQ(j["params"]["name"], "execute_sql");
  EXPECT_EQ(j["params"]["arguments"]["sql"], "SELECT \"x\" FROM t WHERE a = '\\'");
}

TEST(LatencyRecorder, NearestRankPercentiles) {
  LatencyRecorder a, b;
  for (int i = 1; i <= 50; ++i) a.Record(std::chrono::milliseconds(i));
  for (int i = 51; i <= 100; ++i) b.Record(std::chrono::milliseconds(i));
  a.Merge(b);
  auto s = a.Summarize();
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_EQ(LatencyRecorder().Summarize().count, 0u);
}

absl::StatusOr<Options> Parse(std::vector<const char*> args) {
  return ParseOptions(std::span<const char* const>(args.data(), args.size()));
}

TEST(ParseOptions, FlagsInBothSpellings) {
  auto o = Parse({"--url=http://127.0.0.1:8080/mcp?x=1", "-H", "X-DBHub-DSN: sqlite:///tmp/a.db",
                  "--header=Authorization: Bearer t", "-c", "3", "--duration=2s", "--warmup",
                  "500ms", "--sql", "SELECT 2", "-n", "10"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint.host, "127.0.0.1");
  EXPECT_EQ(o->endpoint.port, "8080");
  EXPECT_EQ(o->endpoint.target, "/mcp?x=1");
  EXPECT_EQ(o->endpoint.host_header, "127.0.0.1:8080");
  ASSERT_EQ(o->headers.size(), 2u);
  EXPECT_EQ(o->headers[0].name, "X-DBHub-DSN");
  EXPECT_EQ(o->headers[0].value, "sqlite:///tmp/a.db");
  EXPECT_EQ(o->headers[1].value, "Bearer t");
  EXPECT_EQ(o->concurrency, 3);
  EXPECT_EQ(o->duration, 2s);
  EXPECT_EQ(o->warmup, 500ms);
  EXPECT_EQ(o->sql, "SELECT 2");
  EXPECT_EQ(o->requests, 10u);
}

TEST(ParseOptions, RequestsWithoutDurationGetTheCap) {
  auto o = Parse({"http://localhost/mcp", "-n", "5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->duration, kDefaultDurationCapWithRequests);
  EXPECT_EQ(o->endpoint.port, "80");
}

TEST(ParseOptions, Refusals) {
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"https://x/mcp"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--bogus=1"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "-c", "0"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--duration", "soon"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "-H", "no colon"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--rate", "-1"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--sql"}).ok());
  EXPECT_TRUE(Parse({"--help"})->help);
}

TEST(ParseOptions, SessionsDsnsRetriesStreams) {
  auto o = Parse({"http://x/mcp", "--session", "--dsn", "sqlite:///tmp/{i}/{i}.db", "--dsns", "12",
                  "--dsn-spread=request", "--retries", "3", "--arguments", R"({"hold_ms": 5})"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->session);
  EXPECT_EQ(o->dsns, 12);
  EXPECT_TRUE(o->spread_per_request);
  EXPECT_EQ(DsnFor(*o, 11), "sqlite:///tmp/11/11.db");
  EXPECT_EQ(o->retries, 3);
  EXPECT_EQ(o->retry_statuses, std::vector<unsigned>{503});  // the default with --retries
  EXPECT_EQ(o->arguments, R"({"hold_ms":5})");
  auto s = Parse({"http://x/mcp", "--streams", "-c", "100", "--ready-file", "/tmp/r"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->streams);
  EXPECT_EQ(Parse({"http://x/mcp", "--retry-status", "503, 429"})->retry_statuses,
            (std::vector<unsigned>{503, 429}));
}

TEST(ParseOptions, RefusalsOfTheNewFlags) {
  EXPECT_FALSE(Parse({"http://x/mcp", "--dsn", "sqlite:///a.db", "--dsns", "2"}).ok());  // no {i}
  EXPECT_FALSE(Parse({"http://x/mcp", "--dsn-spread", "random"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--arguments", "[1]"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--streams", "--rate", "5"}).ok());
  EXPECT_FALSE(Parse({"http://x/mcp", "--retry-status", "999"}).ok());
}

TEST(McpBodies, InitializeAndNegotiatedVersion) {
  auto init = nlohmann::json::parse(MakeInitializeBody("2025-03-26").With(4));
  EXPECT_EQ(init["method"], "initialize");
  EXPECT_EQ(init["id"], 4);
  EXPECT_EQ(init["params"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(NegotiatedProtocolVersion(
                kSse, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":4,"
                      "\"result\":{\"protocolVersion\":\"2025-06-18\"}}\n\n"),
            "2025-06-18");
  EXPECT_EQ(NegotiatedProtocolVersion(kJson, "{}"), "");
  auto call = nlohmann::json::parse(MakeToolCallBodyWithArguments("hold", R"({"hold_ms":1})").With(9));
  EXPECT_EQ(call["params"]["arguments"]["hold_ms"], 1);
}

TEST(ParseDuration, Forms) {
  EXPECT_EQ(ParseDuration("20"), 20s);
  EXPECT_EQ(ParseDuration("0.5"), 500ms);
  EXPECT_EQ(ParseDuration("1m30s"), 90s);
  EXPECT_FALSE(ParseDuration("").has_value());
  EXPECT_FALSE(ParseDuration("-1s").has_value());
}

}  // namespace
}  // namespace mcpgw::loadtest
