// Gateway-owned MCP sessions (issue 3): a session id the gateway issues at
// initialize keeps working across a reap, a kill -9 of its DBHub and a
// restart of the gateway; forged, foreign, ended ids get 404 with a JSON-RPC
// error; DELETE ends a session.

#include <signal.h>

#include <chrono>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using SessionTest = GatewayTest;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kUnknownSession = rpc_code::kUnknownSession;

void ExpectPeople(const HttpResponse& response) {
  ASSERT_EQ(response.status, 200) << response.Describe();
  EXPECT_EQ(ExecuteSqlRows(response), PeopleRows()) << response.Describe();
}

void ExpectUnknownSession(const HttpResponse& response) {
  EXPECT_EQ(response.status, 404) << response.Describe();
  EXPECT_EQ(JsonRpcErrorCode(response), kUnknownSession) << response.Describe();
  EXPECT_NE(JsonRpcErrorMessage(response).find("unknown session"),
            std::string::npos)
      << response.Describe();
}

TEST_F(SessionTest, InitializeIssuesASessionBoundToItsCredentials) {
  StartGateway();
  const auto dsn = NewSqliteDsn("session.db");
  auto client = Client(dsn);
  const auto initialized = client.Initialize();
  ASSERT_EQ(initialized.status, 200) << initialized.Describe();
  const std::string session = client.session_id();
  ASSERT_EQ(session.rfind("mcps1_", 0), 0u) << "session id: " << session;
  ExpectPeople(client.ExecuteSql(kPeopleQuery));

  // The same id with another DSN is someone else's session.
  auto other = Client(NewSqliteDsn("other.db"));
  other.set_session_id(session);
  ExpectUnknownSession(other.ExecuteSql(kPeopleQuery));

  // A forged id, and a real one with a byte changed.
  auto forged = Client(dsn);
  forged.set_session_id("mcps1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  ExpectUnknownSession(forged.ExecuteSql(kPeopleQuery));
  std::string tampered = session;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  forged.set_session_id(tampered);
  ExpectUnknownSession(forged.ExecuteSql(kPeopleQuery));

  // The session id never carries the DSN in the clear.
  EXPECT_EQ(session.find("session.db"), std::string::npos);
}

// A session is issued for an initialize the instance accepted, never for
// one it answered with a JSON-RPC error (DBHub refuses an initialize
// without protocolVersion, capabilities and clientInfo: its schema wants
// them), nor for one the gateway refused (a field of the wrong type).
TEST_F(SessionTest, InitializeAnsweredWithAnErrorGetsNoSession) {
  StartGateway();
  const auto dsn = NewSqliteDsn("refused-initialize.db");
  auto client = Client(dsn);
  const auto refused = client.Call("initialize", nlohmann::json::object());
  EXPECT_NE(JsonRpcError(refused), nullptr) << refused.Describe();
  EXPECT_EQ(refused.Header("mcp-session-id"), "") << refused.Describe();

  const auto wrong = client.Call(
      "initialize", {{"protocolVersion", 20250618},
                     {"capabilities", nlohmann::json::object()},
                     {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  EXPECT_EQ(wrong.status, 400) << wrong.Describe();
  EXPECT_EQ(JsonRpcErrorCode(wrong), -32602) << wrong.Describe();
  EXPECT_EQ(wrong.Header("mcp-session-id"), "") << wrong.Describe();

  // The same client, initializing properly, gets one.
  const auto accepted = client.Initialize();
  ASSERT_EQ(accepted.status, 200) << accepted.Describe();
  EXPECT_EQ(client.session_id().rfind("mcps1_", 0), 0u);
  ExpectPeople(client.ExecuteSql(kPeopleQuery));
}

TEST_F(SessionTest, ExpiredSessionIsRefused) {
  StartGateway({"--session-ttl=1s"});
  auto client = Client(NewSqliteDsn("ttl.db"));
  ASSERT_EQ(client.Initialize().status, 200);
  // Expiry is in whole seconds: the session stops working within two. The
  // test waits for that to happen rather than for a fixed time (the exact
  // boundary is SessionManager.SessionExpiresAtItsTtlOnTheClock, on a
  // manual clock).
  HttpResponse last;
  ASSERT_TRUE(WaitUntil(
      [&] {
        last = client.ExecuteSql(kPeopleQuery);
        return last.status != 200;
      },
      seconds(10), milliseconds(100)))
      << last.Describe();
  ExpectUnknownSession(last);
}

TEST_F(SessionTest, DeleteEndsTheSession) {
  StartGateway();
  auto client = Client(NewSqliteDsn("delete.db"));
  ASSERT_EQ(client.Initialize().status, 200);
  const auto ended = client.Send("DELETE");
  EXPECT_EQ(ended.status, 204) << ended.Describe();
  ExpectUnknownSession(client.ExecuteSql(kPeopleQuery));
  // DELETE without a session says what is missing.
  auto anonymous = Client(NewSqliteDsn("delete-anonymous.db"));
  const auto refused = anonymous.Send("DELETE");
  EXPECT_EQ(refused.status, 400) << refused.Describe();
  EXPECT_NE(JsonRpcErrorMessage(refused).find("Mcp-Session-Id"),
            std::string::npos);
}

TEST_F(SessionTest, SessionSurvivesReapCrashAndGatewayRestart) {
  StartGateway({"--idle-timeout=1s"});
  const auto dsn = NewSqliteDsn("survivor.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.Initialize().status, 200);
  ExpectPeople(client.ExecuteSql(kPeopleQuery));

  // Reaped: the next request on the session starts a new instance.
  const auto reaped_process = OnlyInstanceProcess();
  ASSERT_TRUE(reaped_process.has_value());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(20), milliseconds(200)));
  ExpectPeople(client.ExecuteSql(kPeopleQuery));
  ExpectOnlyInstanceReplaced(reaped_process->pid);

  // Crashed: kill -9, then the next request on the session succeeds.
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());
  ASSERT_EQ(kill(victim->pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return !IsRunning(*victim); }, seconds(5)));
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return snapshot.parsed && snapshot.instances.empty();
      },
      seconds(10), milliseconds(100)));
  ExpectPeople(client.ExecuteSql(kPeopleQuery));

  // Gateway restarted (same state directory, hence the same secret).
  StopGatewayAndExpectCleanExit();
  StartGateway({"--idle-timeout=1s"});
  auto after_restart = Client(dsn);
  after_restart.set_session_id(client.session_id());
  ExpectPeople(after_restart.ExecuteSql(kPeopleQuery));
}

}  // namespace
}  // namespace mcpgw::it
