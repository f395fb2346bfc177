// A table of malformed and hostile requests against the real gateway (and,
// behind it, a real DBHub): each row says what the client must get back, a
// status and, where there is a body, a JSON-RPC error with a given code.
// After every row and after the whole table, a good request is still served,
// and the gateway's output never shows what a row tried to inject.
//
// Rows marked `sessions` expect the gateway's own session handling (a forged
// or unknown Mcp-Session-Id is 404 with a JSON-RPC error). They run when the
// gateway answers initialize with an Mcp-Session-Id of its own (or when
// MCPGW_BAD_INPUT_SESSIONS=1 forces them).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/raw_http.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

// Limits of the gateway under test, small so that the rows stay small.
constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr int kReadTimeoutSeconds = 2;

// What a row expects in the body.
constexpr int kAnyRpcError = 1;     // a JSON-RPC error object, any code
constexpr int kNoBodyCheck = 2;     // status only
// Status 0: the gateway closes the connection without an answer.
constexpr unsigned kClosed = 0;

struct Row {
  std::string name;
  std::string request;  // raw bytes; {DSN}, {LEN} and {BODY} are filled in
  std::string body;     // substituted for {BODY}; {LEN} is its size
  unsigned status;
  int rpc;              // a JSON-RPC error code, kAnyRpcError or kNoBodyCheck
  bool sessions = false;
  RawOptions options = {};
  // Text the answer must not repeat (a path the row probed), if any.
  std::string not_echoed = {};
  // Text the JSON-RPC error's message must hold (the field it names).
  std::string names = {};
};

constexpr const char* kToolsList =
    R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})";

// A POST /mcp with the usual headers and `extra` header lines.
std::string Post(const std::string& extra = "",
                 const std::string& content_type = "application/json",
                 const std::string& accept = "application/json, text/event-stream") {
  std::string r = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
  if (!accept.empty()) r += "Accept: " + accept + "\r\n";
  r += extra;
  r += "Content-Length: {LEN}\r\nConnection: close\r\n\r\n{BODY}";
  return r;
}

std::string WithDsn(const std::string& dsn_value,
                    const std::string& more = "") {
  return Post("X-DBHub-DSN: " + dsn_value + "\r\n" + more);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos;
       at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::vector<Row> Table() {
  const std::string dsn = "{DSN}";
  const std::string ok = WithDsn(dsn);
  std::vector<Row> t;
  auto add = [&t](Row r) { t.push_back(std::move(r)); };

  // --- broken JSON and wrong JSON-RPC shapes (DBHub answers; the gateway
  // must pass its answer through intact, not hang or crash on it).
  add({"truncated_json", ok, R"({"jsonrpc":"2.0","id":1,"meth)", 400, -32700});
  add({"not_json", ok, "hello, world", 400, -32700});
  add({"empty_body", ok, "", 400, -32700});
  add({"json_null", ok, "null", 400, -32600});
  add({"json_number", ok, "42", 400, -32600});
  add({"empty_batch", ok, "[]", 400, -32600});
  add({"no_method", ok, R"({"jsonrpc":"2.0","id":1})", 400, kAnyRpcError});
  add({"jsonrpc_1_0", ok, R"({"jsonrpc":"1.0","id":1,"method":"tools/list"})", 400, kAnyRpcError});
  add({"method_not_string", ok, R"({"jsonrpc":"2.0","id":1,"method":42})", 400, kAnyRpcError});
  add({"id_is_object", ok, R"({"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"})", 400, kAnyRpcError});
  add({"unknown_method", ok, R"({"jsonrpc":"2.0","id":1,"method":"no/such/method"})", 200, -32601});
  add({"unknown_tool", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm_rf","arguments":{}}})",
       200, kAnyRpcError});
  add({"params_is_string", ok, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"})",
       400, -32600});
  // --- fields of the wrong type: the gateway reads these, so it answers
  // them itself (400, -32600 for the envelope, -32602 inside params, the
  // message naming the field) before any instance is reached. Until these
  // rows, a numeric protocolVersion threw inside the gateway and the
  // client got its connection closed with no answer.
  const auto Named = [](Row r, std::string names) {
    r.names = std::move(names);
    return r;
  };
  constexpr int kInvalidParams = -32602;
  add(Named({"initialize_numeric_protocol_version", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":20250618,"capabilities":{},"clientInfo":{"name":"x","version":"1"}}})",
       400, kInvalidParams}, R"(params.protocolVersion must be a string)"));
  add(Named({"initialize_null_protocol_version", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":null,"capabilities":{},"clientInfo":{"name":"x","version":"1"}}})",
       400, kInvalidParams}, R"(params.protocolVersion must be a string)"));
  add(Named({"initialize_array_protocol_version", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":["2025-06-18"]}})",
       400, kInvalidParams}, R"(params.protocolVersion must be a string)"));
  add(Named({"initialize_capabilities_string", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":"all","clientInfo":{"name":"x","version":"1"}}})",
       400, kInvalidParams}, R"(params.capabilities must be an object)"));
  add(Named({"initialize_client_info_array", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":[]}})",
       400, kInvalidParams}, R"(params.clientInfo must be an object)"));
  add(Named({"initialize_params_array", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":["2025-06-18"]})",
       400, -32600}, R"(params must be an object)"));
  add(Named({"initialize_params_null", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":null})",
       400, -32600}, R"(params must be an object)"));
  add(Named({"tools_call_name_number", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7,"arguments":{}}})",
       400, kInvalidParams}, R"(params.name must be a string)"));
  add(Named({"tools_list_cursor_object", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":{"page":2}}})",
       400, kInvalidParams}, R"(params.cursor must be a string)"));
  add(Named({"meta_is_string", ok,
       R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":"x"}})",
       400, kInvalidParams}, R"(params._meta must be an object)"));
  add(Named({"jsonrpc_is_number", ok, R"({"jsonrpc":2.0,"id":1,"method":"tools/list"})",
       400, -32600}, R"(jsonrpc must be)"));
  add(Named({"id_is_null", ok, R"({"jsonrpc":"2.0","id":null,"method":"tools/list"})",
       400, -32600}, R"(id must be a string or an integer)"));
  add(Named({"id_is_float", ok, R"({"jsonrpc":"2.0","id":1.5,"method":"tools/list"})",
       400, -32600}, R"(id must be a string or an integer)"));
  add(Named({"method_is_array", ok, R"({"jsonrpc":"2.0","id":1,"method":["initialize"]})",
       400, -32600}, R"(method must be a string)"));
  // In a batch (where the revision allows them), such an element gets its
  // own error in the 200 answer, as JSON-RPC 2.0 wants.
  const std::string batches = WithDsn(dsn, "MCP-Protocol-Version: 2025-03-26\r\n");
  add(Named({"batch_element_numeric_cursor", batches,
       R"([{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":1}}])",
       200, kInvalidParams}, "params.cursor must be a string"));
  add(Named({"batch_element_id_object", batches,
       R"([{"jsonrpc":"2.0","id":{},"method":"ping"}])", 200, -32600},
       "id must be a string or an integer"));
  add({"deep_nesting", ok, std::string(5000, '[') + std::string(5000, ']'), 400, -32600});
  add({"bad_utf8_in_method", ok, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\xc0\"}",
       400, -32700});
  add({"nul_in_body", ok, [] {
         const char b[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\0\"method\":\"x\"}";
         return std::string(b, sizeof b - 1);
       }(),
       400, -32700});
  add({"huge_body", ok, std::string(4 * kMaxBody, 'x'), 413, -32600});

  // --- Content-Type and Accept (DBHub's Streamable HTTP rules).
  add({"content_type_text", Post("X-DBHub-DSN: " + dsn + "\r\n", "text/plain"), kToolsList, 415, kAnyRpcError});
  add({"content_type_missing", Post("X-DBHub-DSN: " + dsn + "\r\n", ""), kToolsList, 415, kAnyRpcError});
  add({"accept_html", Post("X-DBHub-DSN: " + dsn + "\r\n", "application/json", "text/html"), kToolsList, 406, kAnyRpcError});
  add({"accept_missing", Post("X-DBHub-DSN: " + dsn + "\r\n", "application/json", ""), kToolsList, 406, kAnyRpcError});

  // --- HTTP framing and methods (the gateway's own answers).
  add({"unknown_http_method", "BREW /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "", 405, -32600});
  add({"put_method", "PUT /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "", 405, -32600});
  add({"unknown_path", "POST /admin/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "", 404, -32600});
  add({"dot_dot_path", "POST /x/../mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "", 404, -32600});
  add({"absolute_form_target", "POST http://evil.example/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "", 404, -32600});
  add({"garbage_request_line", "GARBAGE\r\n\r\n", "", 400, -32600});
  add({"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "", 400, -32600});
  add({"http_0_9", "GET /mcp\r\n\r\n", "", 400, -32600});
  add({"bad_chunk_size", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "", 400, -32600});
  add({"negative_content_length", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", "", 400, -32600});
  add({"two_content_lengths", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "", 400, -32600});
  add({"huge_content_length", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "", 400, -32600});
  add({"huge_header", WithDsn(dsn, "X-Big: " + std::string(2 * kMaxHeader, 'a') + "\r\n"), kToolsList, 431, -32600});
  add({"many_headers", [&] {
         std::string h;
         for (int i = 0; i < 2000; ++i) h += "X-H" + std::to_string(i) + ": v\r\n";
         return WithDsn(dsn, h);
       }(), kToolsList, 431, -32600});
  add({"huge_target", "POST /mcp?" + std::string(2 * kMaxHeader, 'q') + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
       "", 431, -32600});

  // --- CR/LF and control bytes in the headers the gateway reads.
  add({"bare_cr_in_dsn", WithDsn("sqlite:///tmp/a.db\rX-Injected: 1"), kToolsList, 400, -32600});
  add({"bare_lf_in_dsn", WithDsn("sqlite:///tmp/a.db\nX-Injected: 1"), kToolsList, 400, kAnyRpcError});
  add({"nul_in_dsn", WithDsn(std::string("sqlite:///tmp/a.db\0x", 20)), kToolsList, 400, -32600});
  add({"crlf_encoded_in_dsn", WithDsn("postgres://u:p@host%0d%0aX-Injected:%201/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"obs_fold_in_dsn", WithDsn("sqlite:///tmp/a.db\r\n X-Injected: 1"), kToolsList, 400, kAnyRpcError});
  add({"cr_in_content_type", Post("X-DBHub-DSN: " + dsn + "\r\n", "application/json\rX-Injected: 1"), kToolsList, 400, -32600});
  add({"cr_in_accept", Post("X-DBHub-DSN: " + dsn + "\r\n", "application/json", "text/event-stream\rX-Injected: 1"), kToolsList, 400, -32600});
  add({"cr_in_authorization", WithDsn(dsn, "Authorization: Bearer x\rX-Injected: 1\r\n"), kToolsList, 400, -32600});
  add({"cr_in_origin", WithDsn(dsn, "Origin: http://a\rX-Injected: 1\r\n"), kToolsList, 400, -32600});
  add({"cr_in_host", "POST /mcp HTTP/1.1\r\nHost: a\rX-Injected: 1\r\nContent-Length: 0\r\n\r\n", "", 400, -32600});
  add({"cr_in_session_id", WithDsn(dsn, "Mcp-Session-Id: abc\rX-Injected: 1\r\n"), kToolsList, 400, -32600});
  add({"cr_in_last_event_id", WithDsn(dsn, "Last-Event-ID: 1\rX-Injected: 1\r\n"), kToolsList, 400, -32600});

  // --- DSNs: odd schemes, hosts, encodings, lengths.
  add({"no_dsn", Post(), kToolsList, 401, rpc_code::kMissingCredentials});
  add({"two_dsns", WithDsn(dsn, "X-DBHub-DSN: " + dsn + "\r\n"), kToolsList, 400, kAnyRpcError});
  add({"empty_dsn", WithDsn(""), kToolsList, 401, rpc_code::kMissingCredentials});
  add({"scheme_ftp", WithDsn("ftp://user:pw@host/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"scheme_javascript", WithDsn("javascript:alert(1)"), kToolsList, 400, rpc_code::kBadTarget});
  add({"scheme_file", WithDsn("file:///etc/passwd"), kToolsList, 400, rpc_code::kBadTarget});
  add({"not_a_url", WithDsn("just some words"), kToolsList, 400, rpc_code::kBadTarget});
  add({"dsn_too_long", WithDsn("postgres://u:p@h/" + std::string(5000, 'd')), kToolsList, 400, rpc_code::kBadTarget});
  add({"bad_ipv6_host", WithDsn("postgres://u:p@[::1/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"port_out_of_range", WithDsn("postgres://u:p@localhost:99999/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"bad_percent_encoding", WithDsn("postgres://u:p%zz@localhost/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"utf8_junk_dsn", WithDsn("postgres://\xff\xfe:\xc0@localhost/db"), kToolsList, 400, rpc_code::kBadTarget});
  add({"dsn_in_query", "POST /mcp?dsn=sqlite:///tmp/x.db HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Accept: application/json, text/event-stream\r\nContent-Length: {LEN}\r\n\r\n{BODY}",
       kToolsList, 400, kAnyRpcError});

  // --- path traversal in sqlite DSNs: the gateway runs with --sqlite-dir
  // ({SQLITE_DIR}, where the good DSN's file is); a file outside it is
  // refused by the DSN rule (403 rpc_code::kForbidden) before any DBHub starts, and the
  // answer names neither the DSN nor the file.
  auto outside = [&](std::string name, std::string dsn_value) {
    Row r{std::move(name), WithDsn(dsn_value), kToolsList, 403, rpc_code::kForbidden};
    r.not_echoed = "outside-secret";
    add(std::move(r));
  };
  outside("sqlite_dir_dotdot", "sqlite://{SQLITE_DIR}/../outside-secret.db");
  outside("sqlite_dir_root_dotdot", "sqlite:///../../../../outside-secret/etc/passwd");
  outside("sqlite_dir_encoded_dots", "sqlite://{SQLITE_DIR}/%2e%2e/outside-secret.db");
  outside("sqlite_dir_encoded_dots_upper", "sqlite://{SQLITE_DIR}/%2E%2E/%2E%2E/outside-secret.db");
  outside("sqlite_dir_encoded_slash", "sqlite://{SQLITE_DIR}/..%2foutside-secret.db");
  outside("sqlite_dir_absolute_outside", "sqlite:///tmp/outside-secret.db");
  outside("sqlite_dir_sibling_prefix", "sqlite://{SQLITE_DIR}-outside-secret/a.db");
  outside("sqlite_dir_itself", "sqlite://{SQLITE_DIR}/outside-secret/..");
  outside("sqlite_dir_relative_host", "sqlite://../outside-secret.db");
  outside("sqlite_dir_host_then_path", "sqlite://localhost{SQLITE_DIR}/outside-secret.db");
  outside("sqlite_dir_encoded_nul", "sqlite://{SQLITE_DIR}/a.db%00/../../outside-secret.db");
  outside("sqlite_dir_upper_scheme", "SQLITE://{SQLITE_DIR}/../outside-secret.db");

  // --- sessions (the gateway's own, being wired): forged and unknown ids.
  add({"forged_session_id", WithDsn(dsn, "Mcp-Session-Id: forged-0123456789abcdef\r\n"), kToolsList, 404, kAnyRpcError, true});
  add({"session_id_too_long", WithDsn(dsn, "Mcp-Session-Id: " + std::string(6000, 'A') + "\r\n"), kToolsList, 404, kAnyRpcError, true});
  add({"session_id_not_ascii", WithDsn(dsn, "Mcp-Session-Id: \xc3\xa9t\xc3\xa9\r\n"), kToolsList, 404, kAnyRpcError, true});

  // --- slowloris: headers trickled one byte at a time never make a request;
  // the read timeout closes the connection.
  {
    Row r{"slowloris_headers", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 's') + "\r\n\r\n",
          "", kClosed, kNoBodyCheck};
    r.options.trickle_bytes = 1;
    r.options.trickle_pause = std::chrono::milliseconds(100);
    r.options.timeout = std::chrono::seconds(6 * kReadTimeoutSeconds);
    add(std::move(r));
  }
  {
    Row r{"slowloris_body", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{", "", kClosed, kNoBodyCheck};
    r.options.timeout = std::chrono::seconds(6 * kReadTimeoutSeconds);
    add(std::move(r));
  }
  return t;
}

// Whether the gateway issues its own sessions: initialize comes back with
// an Mcp-Session-Id.
bool SessionRowsEnabled(McpClient& client) {
  const char* v = std::getenv("MCPGW_BAD_INPUT_SESSIONS");
  if (v != nullptr && std::string(v) == "1") return true;
  const auto init = client.Call(
      "initialize", {{"protocolVersion", "2025-06-18"},
                     {"capabilities", nlohmann::json::object()},
                     {"clientInfo", {{"name", "bad-input"}, {"version", "1"}}}});
  return !init.Header("mcp-session-id").empty();
}

class BadInputTest : public GatewayTest {};

TEST_F(BadInputTest, EveryHostileRequestGetsItsAnswerAndTheGatewayKeepsServing) {
  StartGateway({"--sqlite-dir=" + sqlite_dir().string(),
                "--max-body-bytes=" + std::to_string(kMaxBody),
                "--max-header-bytes=" + std::to_string(kMaxHeader),
                "--read-timeout=" + std::to_string(kReadTimeoutSeconds) + "s"});
  const std::string dsn = NewSqliteDsn("bad-input.db");
  auto good = Client(dsn);
  ASSERT_EQ(good.ListTools().status, 200);
  const int port = gateway().mcp_port();
  auto probe = Client(dsn);
  const bool sessions = SessionRowsEnabled(probe);
  std::printf("session rows %s\n", sessions ? "enabled" : "skipped (no gateway sessions)");

  const auto table = Table();
  ASSERT_GE(table.size(), 40u);
  int tried = 0;
  for (const Row& row : table) {
    if (row.sessions && !sessions) continue;
    SCOPED_TRACE(row.name);
    ++tried;
    std::string request = Replace(row.request, "{DSN}", dsn);
    request = Replace(request, "{SQLITE_DIR}", sqlite_dir().string());
    request = Replace(request, "{LEN}", std::to_string(row.body.size()));
    request = Replace(request, "{BODY}", row.body);
    const RawResponse got = RawExchange(port, request, row.options);
    ASSERT_TRUE(got.connected) << "the gateway no longer accepts connections";
    if (row.status == kClosed) {
      EXPECT_FALSE(got.complete) << got.Describe();
      EXPECT_TRUE(got.closed) << "the connection was left open: " << got.Describe();
    } else {
      EXPECT_TRUE(got.complete) << got.Describe();
      EXPECT_EQ(got.status, row.status) << got.Describe();
      if (row.rpc != kNoBodyCheck) {
        const auto messages = ParseMessages(got.content_type, got.body);
        const nlohmann::json m = messages.empty() ? nlohmann::json() : messages.front();
        if (!m.is_object() || !m.contains("error") || !m["error"].is_object()) {
          ADD_FAILURE() << "no JSON-RPC error: " << got.Describe();
        } else {
          EXPECT_EQ(m.value("jsonrpc", ""), "2.0") << got.Describe();
          EXPECT_TRUE(m["error"].contains("message")) << got.Describe();
          if (row.rpc != kAnyRpcError) {
            EXPECT_EQ(m["error"].value("code", 0), row.rpc) << got.Describe();
          }
          if (!row.names.empty()) {
            EXPECT_NE(m["error"].value("message", "").find(row.names),
                      std::string::npos)
                << got.Describe();
          }
        }
      }
    }
    if (!row.not_echoed.empty()) {
      EXPECT_EQ(got.body.find(row.not_echoed), std::string::npos) << got.Describe();
    }
    // No header a client injected comes back as a header of its own.
    EXPECT_EQ(got.headers.find("X-Injected"), std::string::npos) << got.Describe();
    // ...and the gateway still serves a good request (on a new connection:
    // a kept-alive one may have passed --read-timeout during a slow row).
    const auto after = Client(dsn).ListTools();
    ASSERT_EQ(after.status, 200) << "after " << row.name << ": " << after.Describe();
  }
  RecordProperty("rows_tried", tried);
  std::printf("bad-input rows tried: %d\n", tried);

  // A fresh client on a fresh connection too, and the gateway stayed up.
  auto fresh = Client(dsn);
  const auto last = fresh.ExecuteSql("SELECT 1 AS one");
  EXPECT_EQ(last.status, 200) << last.Describe();
  EXPECT_FALSE(gateway().HasExited());
  EXPECT_EQ(AllGatewayOutput().find("X-Injected: 1\n"), std::string::npos);
  // No row reached the HTTP server's catch-all (a handler that threw).
  EXPECT_EQ(AllGatewayOutput().find("internal error"), std::string::npos)
      << AllGatewayOutput();
  const auto metrics = Admin("GET", "/metrics");
  EXPECT_NE(metrics.body.find("\nmcp_gateway_internal_errors_total 0\n"),
            std::string::npos)
      << metrics.body;
}

}  // namespace
}  // namespace mcpgw::it
