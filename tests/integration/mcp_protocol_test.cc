// The MCP protocol at the gateway (issue 3): revisions and their rules,
// batches, the GET stream, resumable streams, Origin/Host, the 2024-11-05
// HTTP+SSE transport, and a request in flight when its instance dies.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <optional>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/mcp_client.h"
#include "test_support/paths.h"
#include "test_support/proc_info.h"
#include "test_support/raw_connection.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using McpProtocolTest = GatewayTest;
using std::chrono::milliseconds;
using std::chrono::seconds;

const nlohmann::json* AnswerWithId(const HttpResponse& response, int id) {
  for (const auto& message : response.messages) {
    if (message.is_object() && message.value("id", -1) == id) return &message;
  }
  return nullptr;
}

TEST_F(McpProtocolTest, UnsupportedProtocolVersionIs400AndSupportedOnesPass) {
  StartGateway();
  auto client = Client(NewSqliteDsn("versions.db"));
  for (const char* version : {"2025-03-26", "2025-06-18", "2025-11-25"}) {
    const auto answer = client.Send(
        "POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
        {std::string("MCP-Protocol-Version: ") + version});
    EXPECT_EQ(answer.status, 200) << version << ": " << answer.Describe();
  }
  const auto refused =
      client.Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                  {"MCP-Protocol-Version: 1999-01-01"});
  EXPECT_EQ(refused.status, 400) << refused.Describe();
  EXPECT_EQ(JsonRpcErrorCode(refused), rpc_code::kUnsupportedProtocolVersion);
  EXPECT_NE(JsonRpcErrorMessage(refused).find("2025-06-18"), std::string::npos)
      << "the error should list the supported revisions";
}

// 2026-07-28 (issue 18): the gateway's own answers in that revision's
// shapes, before DBHub is reached, and a matching request served by DBHub.
TEST_F(McpProtocolTest, StatelessRevisionGetsItsOwnErrorShapes) {
  StartGateway();
  auto client = Client(NewSqliteDsn("stateless.db"));
  const auto body = [](const char* version) {
    return std::string(R"({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":{)")
        + R"("io.modelcontextprotocol/protocolVersion":")" + version
        + R"(","io.modelcontextprotocol/clientCapabilities":{}}}})";
  };
  const auto unsupported = client.Send(
      "POST", body("v999.0.0"),
      {"MCP-Protocol-Version: v999.0.0", "Mcp-Method: tools/list"});
  EXPECT_EQ(unsupported.status, 400) << unsupported.Describe();
  EXPECT_EQ(JsonRpcErrorCode(unsupported), rpc_code::kUnsupportedProtocolVersionModern) << unsupported.Describe();
  const auto* error = AnswerWithId(unsupported, 5);
  ASSERT_NE(error, nullptr) << unsupported.Describe();
  EXPECT_EQ((*error)["error"]["data"]["requested"], "v999.0.0");
  EXPECT_EQ((*error)["error"]["data"]["supported"],
            nlohmann::json::array({"2026-07-28"}));

  const auto mismatch = client.Send(
      "POST", body("2026-07-28"),
      {"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: prompts/list"});
  EXPECT_EQ(mismatch.status, 400) << mismatch.Describe();
  EXPECT_EQ(JsonRpcErrorCode(mismatch), rpc_code::kHeaderMismatch) << mismatch.Describe();
  const auto missing = client.Send("POST", body("2026-07-28"),
                                   {"MCP-Protocol-Version: 2026-07-28"});
  EXPECT_EQ(missing.status, 400) << missing.Describe();
  EXPECT_EQ(JsonRpcErrorCode(missing), rpc_code::kHeaderMismatch) << missing.Describe();

  const auto served = client.Send(
      "POST", body("2026-07-28"),
      {"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/list"});
  EXPECT_EQ(served.status, 200) << served.Describe();
  const auto* result = AnswerWithId(served, 5);
  ASSERT_NE(result, nullptr) << served.Describe();
  EXPECT_TRUE((*result)["result"].contains("tools")) << served.Describe();
  EXPECT_EQ((*result)["result"].value("resultType", ""), "complete");
}

// 2026-07-28's subscriptions/listen (issue 18): its stream is held open
// with keep-alives, keeps its instance from being reaped, and a client that
// leaves is noticed.
TEST_F(McpProtocolTest, ListenStreamIsHeldLikeOtherStreams) {
  StartGateway({"--sse-keepalive=1s", "--idle-timeout=1s"});
  const auto dsn = NewSqliteDsn("listen.db");
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{)"
      R"("notifications":{"toolsListChanged":true},"_meta":{)"
      R"("io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
      R"("io.modelcontextprotocol/clientCapabilities":{}}}})";
  std::optional<RawConnection> stream(std::in_place, gateway().mcp_port());
  ASSERT_TRUE(stream->connected());
  ASSERT_TRUE(stream->Send(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\n"
      "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
      "X-DBHub-DSN: " + dsn + "\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body));
  const std::string opening =
      stream->ReadUntilContains("notifications/subscriptions/acknowledged", 30000);
  ASSERT_NE(opening.find("200 OK"), std::string::npos) << opening;
  // Three keep-alives: three idle timeouts have passed with the stream open.
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(stream->ReadUntilContains(": keep-alive", 10000).find(": keep-alive"),
              std::string::npos);
  }
  const auto held = Instances();
  ASSERT_EQ(held.instances.size(), 1u) << held.response.Describe();
  const std::string id = held.instances[0].id;
  const auto detail = [&] {
    const auto response = Admin("GET", "/admin/instances/" + id);
    return nlohmann::json::parse(response.body, nullptr, false);
  };
  EXPECT_EQ(detail().value("open_streams", -1), 1) << detail().dump();

  stream.reset();  // the client leaves
  EXPECT_TRUE(WaitUntil(
      [&] {
        const auto j = detail();
        return !j.is_object() || j.value("open_streams", -1) == 0;
      },
      seconds(30)))
      << detail().dump();
}

TEST_F(McpProtocolTest, BatchesWhereTheRevisionAllowsThem) {
  StartGateway();
  auto client = Client(NewSqliteDsn("batch.db"));
  const std::string batch =
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/list"},)"
      R"({"jsonrpc":"2.0","id":3,"method":7},)"
      R"({"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"cursor":1}}])";
  const auto answered =
      client.Send("POST", batch, {"MCP-Protocol-Version: 2025-03-26"});
  ASSERT_EQ(answered.status, 200) << answered.Describe();
  EXPECT_EQ(answered.Header("content-type"), "application/json");
  ASSERT_EQ(answered.messages.size(), 4u) << answered.Describe();
  ASSERT_NE(AnswerWithId(answered, 1), nullptr);
  EXPECT_TRUE(AnswerWithId(answered, 1)->contains("result"));
  ASSERT_NE(AnswerWithId(answered, 2), nullptr);
  EXPECT_TRUE((*AnswerWithId(answered, 2))["result"].contains("tools"));
  ASSERT_NE(AnswerWithId(answered, 3), nullptr);
  EXPECT_EQ((*AnswerWithId(answered, 3))["error"]["code"], -32600);
  // A field of the wrong type: that element's own error, naming the field.
  ASSERT_NE(AnswerWithId(answered, 4), nullptr);
  EXPECT_EQ((*AnswerWithId(answered, 4))["error"]["code"], -32602);
  EXPECT_EQ((*AnswerWithId(answered, 4))["error"]["message"],
            "params.cursor must be a string, not an integer");

  const auto refused =
      client.Send("POST", batch, {"MCP-Protocol-Version: 2025-06-18"});
  EXPECT_EQ(refused.status, 400) << refused.Describe();
  EXPECT_NE(JsonRpcErrorMessage(refused).find("batches"), std::string::npos);

  const auto only_notifications = client.Send(
      "POST", R"([{"jsonrpc":"2.0","method":"notifications/initialized"}])",
      {"MCP-Protocol-Version: 2025-03-26"});
  EXPECT_EQ(only_notifications.status, 202) << only_notifications.Describe();
}

TEST_F(McpProtocolTest, GetStreamIs405WhereTheBackendOffersNone) {
  StartGateway();
  auto client = Client(NewSqliteDsn("get.db"));
  ASSERT_EQ(client.Initialize().status, 200);
  const auto answer = client.Send("GET", "", {}, milliseconds(15000));
  EXPECT_EQ(answer.status, 405) << answer.Describe();
}

TEST_F(McpProtocolTest, ForeignOriginAndHostAreRefused) {
  StartGateway();
  const auto dsn = NewSqliteDsn("origin.db");
  auto client = Client(dsn);
  const auto cross_site =
      client.Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                  {"Origin: http://evil.example"});
  EXPECT_EQ(cross_site.status, 403) << cross_site.Describe();
  EXPECT_NE(JsonRpcErrorMessage(cross_site).find("--allowed-origins"),
            std::string::npos);
  const auto rebinding =
      client.Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                  {"Host: evil.example"});
  EXPECT_EQ(rebinding.status, 403) << rebinding.Describe();
  const std::string same_host =
      "Origin: http://127.0.0.1:" + std::to_string(gateway().mcp_port());
  EXPECT_EQ(client.Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                        {same_host})
                .status,
            200);

  StopGatewayAndExpectCleanExit();
  StartGateway({"--allowed-origins=http://evil.example"});
  auto allowed = Client(dsn);
  EXPECT_EQ(allowed.Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                         {"Origin: http://evil.example"})
                .status,
            200);
}

// A query that keeps DBHub busy for a few seconds.
// A tenth of a second of CPU time, in /proc's clock ticks.
const std::uint64_t kTicksPerTenthSecond =
    static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)) / 10;

constexpr const char* kSlowQuery =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 30000000) SELECT count(*) AS n FROM c";

std::string RawPost(const std::string& dsn, const std::string& session,
                    const std::string& body) {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n"
         "MCP-Protocol-Version: 2025-11-25\r\n"
         "Mcp-Session-Id: " + session + "\r\n"
         "X-DBHub-DSN: " + dsn + "\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(McpProtocolTest, ResumingRefusesWhatItCannotReplay) {
  StartGateway();
  const auto dsn = NewSqliteDsn("resume.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.Initialize("2025-11-25").status, 200);
  // A stream this gateway never sent.
  const auto unknown = client.Send("GET", "", {"Last-Event-ID: s0000-3"});
  EXPECT_EQ(unknown.status, 410) << unknown.Describe();
  EXPECT_EQ(JsonRpcErrorCode(unknown), rpc_code::kStreamGone);
  EXPECT_NE(JsonRpcErrorMessage(unknown).find("send the request again"),
            std::string::npos);
  // Not an event id of the gateway's at all.
  EXPECT_EQ(client.Send("GET", "", {"Last-Event-ID: 42"}).status, 410);
  // Without a session there is nothing to resume.
  auto anonymous = Client(dsn);
  const auto no_session = anonymous.Send("GET", "", {"Last-Event-ID: s0000-3"});
  EXPECT_EQ(no_session.status, 400) << no_session.Describe();
  EXPECT_NE(JsonRpcErrorMessage(no_session).find("Mcp-Session-Id"),
            std::string::npos);
}

TEST_F(McpProtocolTest, LegacySseTransportIsBridged) {
  StartGateway();
  const auto dsn = NewSqliteDsn("legacy.db");
  RawConnection stream(gateway().mcp_port());
  ASSERT_TRUE(stream.connected());
  ASSERT_TRUE(stream.Send("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Accept: text/event-stream\r\nX-DBHub-DSN: " +
                          dsn + "\r\n\r\n"));
  const std::string opening = stream.ReadUntilContains("\n\n", 15000);
  ASSERT_NE(opening.find("200 OK"), std::string::npos) << opening;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(opening, match,
                                std::regex("event: endpoint\r?\ndata: (\\S+)")))
      << opening;
  const std::string endpoint = match[1];
  ASSERT_EQ(endpoint.rfind("/messages?sessionId=", 0), 0u) << endpoint;

  HttpClient http;
  const auto post = [&](const std::string& body) {
    HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(gateway().mcp_port()) +
                  endpoint;
    request.headers = {"Content-Type: application/json", "X-DBHub-DSN: " + dsn};
    request.body = body;
    return http.Send(request);
  };
  const auto accepted = post(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"legacy","version":"1"}}})");
  EXPECT_EQ(accepted.status, 202) << accepted.Describe();
  const std::string initialized = stream.ReadUntilContains("\"id\":1", 20000);
  EXPECT_NE(initialized.find("protocolVersion"), std::string::npos) << initialized;

  EXPECT_EQ(post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").status, 202);
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute_sql","arguments":{"sql":"SELECT name FROM people ORDER BY id"}}})")
                .status,
            202);
  const std::string called = stream.ReadUntilContains("\"id\":2", 20000);
  EXPECT_NE(called.find("Ada"), std::string::npos) << called;

  // A field of the wrong type is answered on the POST itself (400, a
  // JSON-RPC error naming the field), not on the stream, and the session
  // goes on.
  const auto wrong = post(
      R"({"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":20241105}})");
  EXPECT_EQ(wrong.status, 400) << wrong.Describe();
  EXPECT_EQ(JsonRpcErrorCode(wrong), -32602) << wrong.Describe();
  EXPECT_NE(JsonRpcErrorMessage(wrong).find("params.protocolVersion must be a string"),
            std::string::npos)
      << wrong.Describe();
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":7}})").status,
            400);
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":6,"method":"ping"})").status, 202);
  const std::string pinged = stream.ReadUntilContains("\"id\":6", 20000);
  EXPECT_NE(pinged.find("\"result\""), std::string::npos) << pinged;
  EXPECT_EQ(pinged.find("\"id\":4"), std::string::npos) << pinged;

  // Another DSN cannot post into this session.
  HttpRequest foreign;
  foreign.method = "POST";
  foreign.url = "http://127.0.0.1:" + std::to_string(gateway().mcp_port()) + endpoint;
  foreign.headers = {"Content-Type: application/json",
                     "X-DBHub-DSN: " + NewSqliteDsn("intruder.db")};
  foreign.body = R"({"jsonrpc":"2.0","id":3,"method":"ping"})";
  EXPECT_EQ(http.Send(foreign).status, 404);
}

TEST_F(McpProtocolTest, RequestInFlightWhenItsInstanceDiesGetsAJsonRpcError) {
  StartGateway();
  const auto dsn = NewSqliteDsn("inflight.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.ExecuteSql(kPeopleQuery).status, 200);
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());
  // A query that keeps DBHub busy for seconds.
  auto slow = std::async(std::launch::async, [&] {
    auto own = Client(dsn);
    return own.ExecuteSql(kSlowQuery);
  });
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && !snapshot.instances.empty() &&
               snapshot.instances.front().raw.value("in_flight", 0) > 0;
      },
      seconds(10), milliseconds(20)));
  // Into the query: DBHub computes (SQLite runs on its main thread), which
  // shows as CPU time, a tenth of a second of it.
  const auto before = ProcessCpuTicks(victim->pid);
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto now = ProcessCpuTicks(victim->pid);
        return now.has_value() && *now >= *before + kTicksPerTenthSecond;
      },
      seconds(10), milliseconds(20)));
  ASSERT_EQ(kill(victim->pid, SIGKILL), 0);
  // Far sooner than --backend-timeout (300 s): the gateway notices the
  // instance is gone, it does not wait for an answer.
  ASSERT_EQ(slow.wait_for(seconds(30)), std::future_status::ready)
      << "the request still hangs after its instance died";
  const auto answer = slow.get();
  EXPECT_TRUE(CarriesJsonRpcError(answer)) << answer.Describe();
  EXPECT_EQ(JsonRpcErrorCode(answer), rpc_code::kBackendFailed) << answer.Describe();
  // And the gateway goes on serving, with a new instance once it has seen
  // the old one go.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(10), milliseconds(100)));
  EXPECT_EQ(client.ExecuteSql(kPeopleQuery).status, 200);
}


// server-everything keeps sessions of its own: the gateway hides them behind
// its own, and initializes a new instance again behind an old session.
std::vector<std::string> EverythingFlags(std::vector<std::string> more = {}) {
  std::vector<std::string> flags = {"--server-command=" + NodeBinary(),
                                    "--server-arg=" + ServerEverythingEntry(),
                                    "--server-arg=streamableHttp"};
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

HttpResponse Echo(McpClient& client, const std::string& text) {
  return client.Call("tools/call",
                     {{"name", "echo"}, {"arguments", {{"message", text}}}});
}

void ExpectEcho(const HttpResponse& response, const std::string& text) {
  ASSERT_EQ(response.status, 200) << response.Describe();
  ASSERT_FALSE(response.messages.empty()) << response.Describe();
  EXPECT_NE(response.messages[0].dump().find(text), std::string::npos)
      << response.Describe();
}

TEST_F(McpProtocolTest, StatefulBackendIsInitializedAgainBehindTheSession) {
  StartGateway(EverythingFlags({"--idle-timeout=1s"}));
  McpClient client(gateway().mcp_url(), "sqlite:///tmp/everything-a.db");
  ASSERT_EQ(client.Initialize("2025-11-25").status, 200);
  ASSERT_EQ(client.session_id().rfind("mcps1_", 0), 0u)
      << "the backend's own session id reached the client: "
      << client.session_id();
  ExpectEcho(Echo(client, "first"), "first");

  // Reaped: a new server-everything knows nothing of the session.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(20), milliseconds(200)));
  ExpectEcho(Echo(client, "after reap"), "after reap");

  // Killed: same.
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());
  ASSERT_EQ(kill(victim->pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(10), milliseconds(100)));
  ExpectEcho(Echo(client, "after crash"), "after crash");
  EXPECT_NE(gateway().Output().find("initialized again"), std::string::npos);
}

TEST_F(McpProtocolTest, ProgressStreamIsResumedAfterABrokenConnection) {
  StartGateway(EverythingFlags());
  const std::string dsn = "sqlite:///tmp/everything-b.db";
  McpClient client(gateway().mcp_url(), dsn);
  ASSERT_EQ(client.Initialize("2025-11-25").status, 200);

  std::string last_seen;
  {
    RawConnection connection(gateway().mcp_port());
    ASSERT_TRUE(connection.connected());
    const nlohmann::json call = {
        {"jsonrpc", "2.0"}, {"id", 77}, {"method", "tools/call"},
        {"params", {{"name", "trigger-long-running-operation"},
                    {"arguments", {{"duration", 3}, {"steps", 3}}},
                    {"_meta", {{"progressToken", "p1"}}}}}};
    ASSERT_TRUE(connection.Send(RawPost(dsn, client.session_id(), call.dump())));
    const std::string seen =
        connection.ReadUntilContains("notifications/progress", 20000);
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        seen, match, std::regex("id: (s[0-9a-f]+-[0-9]+)\r?\ndata: [^\n]*notifications/progress")))
        << seen;
    last_seen = match[1];
    EXPECT_EQ(seen.find("\"id\":77"), std::string::npos) << seen;
  }  // the connection breaks here, mid-answer

  const auto resumed = client.Send("GET", "", {"Last-Event-ID: " + last_seen},
                                   milliseconds(30000));
  ASSERT_EQ(resumed.status, 200) << resumed.Describe();
  int progress = 0;
  bool answered = false;
  for (const auto& message : resumed.messages) {
    if (message.value("method", "") == "notifications/progress") ++progress;
    if (message.value("id", 0) == 77 && message.contains("result")) answered = true;
  }
  EXPECT_EQ(progress, 2) << "the two progress events after the first: "
                         << resumed.Describe();
  EXPECT_TRUE(answered) << resumed.Describe();

  // Another session of the same credentials cannot read this stream.
  McpClient other(gateway().mcp_url(), dsn);
  ASSERT_EQ(other.Initialize("2025-11-25").status, 200);
  EXPECT_EQ(other.Send("GET", "", {"Last-Event-ID: " + last_seen}).status, 410);
}

// Issue 18: a GET stream has no end of its own. When the gateway ends one
// (its instance drains, the gateway shuts down), a 2025-11-25 client is told
// when to reconnect (`retry:`) before the stream ends; an older revision's
// stream just ends. Such a stream carries no event ids: nothing could resume
// it, and an id would make the client ask to.
class OpenEndedStream {
 public:
  OpenEndedStream(int port, const std::string& dsn, const McpClient& client,
                  const std::string& revision)
      : connection_(port) {
    EXPECT_TRUE(connection_.connected());
    EXPECT_TRUE(connection_.Send(
        "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        "X-DBHub-DSN: " + dsn + "\r\nMcp-Session-Id: " + client.session_id() +
        "\r\nMCP-Protocol-Version: " + revision + "\r\n\r\n"));
    head_ = connection_.ReadUntilContains("\r\n\r\n", 30000);
  }
  const std::string& head() const { return head_; }
  // Everything until the last chunk (or the connection's end).
  std::string ReadToEnd(int timeout_ms) {
    return connection_.ReadUntilEndsWith("0\r\n\r\n", timeout_ms);
  }

 private:
  RawConnection connection_;
  std::string head_;
};

constexpr int kStreamEndTimeoutMs = 30000;

TEST_F(McpProtocolTest, DrainingInstanceEndsOpenEndedStreamsWithRetryFirst) {
  StartGateway(EverythingFlags());
  const std::string dsn = "sqlite:///tmp/everything-drain.db";  // unused
  McpClient current(gateway().mcp_url(), dsn);
  ASSERT_EQ(current.Initialize("2025-11-25").status, 200);
  McpClient older(gateway().mcp_url(), dsn);
  ASSERT_EQ(older.Initialize("2025-06-18").status, 200);
  OpenEndedStream current_stream(gateway().mcp_port(), dsn, current, "2025-11-25");
  OpenEndedStream older_stream(gateway().mcp_port(), dsn, older, "2025-06-18");
  ASSERT_NE(current_stream.head().find("200 OK"), std::string::npos)
      << current_stream.head();
  ASSERT_NE(older_stream.head().find("200 OK"), std::string::npos)
      << older_stream.head();
  const auto held = Instances();
  ASSERT_EQ(held.instances.size(), 1u) << held.response.Describe();

  // Without the streams ending, the drained instance would never stop.
  ASSERT_EQ(Admin("POST", "/admin/instances/" + held.instances[0].id + "/drain")
                .status,
            202);
  const std::string current_rest = current_stream.ReadToEnd(kStreamEndTimeoutMs);
  EXPECT_NE(current_rest.find("retry: 2000\n\n"), std::string::npos) << current_rest;
  EXPECT_TRUE(current_rest.ends_with("\r\n0\r\n\r\n")) << current_rest;
  EXPECT_EQ((current_stream.head() + current_rest).find("id: "), std::string::npos)
      << current_rest;
  const std::string older_rest = older_stream.ReadToEnd(kStreamEndTimeoutMs);
  // The head, then at once the last chunk: nothing else.
  EXPECT_EQ(older_rest, "0\r\n\r\n");
  EXPECT_EQ(older_rest.find("retry:"), std::string::npos) << older_rest;
  EXPECT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(20), milliseconds(200)))
      << "the drained instance did not stop";

  // The client reconnects as told: a new instance serves its session.
  OpenEndedStream again(gateway().mcp_port(), dsn, current, "2025-11-25");
  EXPECT_NE(again.head().find("200 OK"), std::string::npos) << again.head();
}

TEST_F(McpProtocolTest, ShutdownEndsOpenEndedStreamsWithRetryFirst) {
  // A grace longer than the test waits: the stream must end when the drain
  // begins, not when the grace runs out.
  StartGateway(EverythingFlags({"--shutdown-grace=120s"}));
  const std::string dsn = "sqlite:///tmp/everything-shutdown.db";  // unused
  McpClient client(gateway().mcp_url(), dsn);
  ASSERT_EQ(client.Initialize("2025-11-25").status, 200);
  OpenEndedStream stream(gateway().mcp_port(), dsn, client, "2025-11-25");
  ASSERT_NE(stream.head().find("200 OK"), std::string::npos) << stream.head();

  ASSERT_EQ(kill(gateway().pid(), SIGTERM), 0);
  const std::string rest = stream.ReadToEnd(kStreamEndTimeoutMs);
  EXPECT_NE(rest.find("retry: 2000\n\n"), std::string::npos) << rest;
  EXPECT_TRUE(rest.ends_with("\r\n0\r\n\r\n")) << rest;
  StopGatewayAndExpectCleanExit();
  const std::string log = gateway().Output();
  EXPECT_NE(log.find("phase=streams_ended streams=1"), std::string::npos) << log;
}

}  // namespace
}  // namespace mcpgw::it
