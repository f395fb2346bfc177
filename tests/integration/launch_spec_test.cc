// The launch spec is configuration: any MCP server can stand behind the
// gateway (here the reference server-everything), and clients that cannot
// send headers reach one configured backend (--default-dsn-file).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/mcp_client.h"
#include "test_support/paths.h"
#include "test_support/process.h"
#include "test_support/sqlite_db.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using LaunchSpecTest = GatewayTest;

std::vector<std::string> Names(const HttpResponse& response) {
  std::vector<std::string> names;
  if (response.messages.empty()) return names;
  for (const auto& tool :
       response.messages[0]["result"].value("tools", nlohmann::json::array())) {
    names.push_back(tool.value("name", ""));
  }
  return names;
}

TEST_F(LaunchSpecTest, ServerEverythingBehindTheGatewayListsToolsAndEchoes) {
  StartGateway({"--server-command=" + NodeBinary(),
                "--server-arg=" + ServerEverythingEntry(),
                "--server-arg=streamableHttp"});
  // The DSN only names the backend instance; server-everything ignores it.
  McpClient client(gateway().mcp_url(), "sqlite:///tmp/everything.db");

  const auto init = client.Initialize();
  ASSERT_EQ(init.status, 200) << init.Describe();
  ASSERT_EQ(init.messages.size(), 1u) << init.Describe();
  EXPECT_EQ(init.messages[0]["result"]["serverInfo"].value("name", ""),
            "mcp-servers/everything")
      << init.Describe();
  EXPECT_FALSE(client.session_id().empty()) << init.Describe();

  const auto tools = client.Call("tools/list", nlohmann::json::object());
  ASSERT_EQ(tools.status, 200) << tools.Describe();
  const auto names = Names(tools);
  EXPECT_NE(std::find(names.begin(), names.end(), "echo"), names.end())
      << tools.Describe();

  const auto echo = client.Call(
      "tools/call", {{"name", "echo"},
                     {"arguments", {{"message", "through the gateway"}}}});
  ASSERT_EQ(echo.status, 200) << echo.Describe();
  ASSERT_EQ(echo.messages.size(), 1u) << echo.Describe();
  const auto content = echo.messages[0]["result"].value("content",
                                                        nlohmann::json::array());
  ASSERT_FALSE(content.empty()) << echo.Describe();
  EXPECT_NE(content[0].value("text", "").find("through the gateway"),
            std::string::npos)
      << echo.Describe();

  const auto instances = Instances();
  EXPECT_EQ(instances.instances.size(), 1u);
  // The warm pool holds pre-loaded DBHubs: never used for another server.
  EXPECT_EQ(AllGatewayOutput().find("claimed warm worker"), std::string::npos);
}

TEST_F(LaunchSpecTest, DefaultDsnFileServesRequestsWithoutCredentials) {
  const std::string default_dsn = NewSqliteDsn("default.db");
  const auto dsn_file = temp().path() / "default-dsn";
  std::ofstream(dsn_file) << default_dsn << "\n";
  StartGateway({"--default-dsn-file=" + dsn_file.string()});

  auto anonymous = Client(std::nullopt);
  const auto rows_response = anonymous.ExecuteSql(kPeopleQuery);
  const auto rows = ExecuteSqlRows(rows_response);
  ASSERT_TRUE(rows.has_value()) << rows_response.Describe();
  EXPECT_EQ(*rows, PeopleRows());

  // A request with its own DSN goes where it says, not to the default.
  auto own = Client(NewSqliteDsn("own.db"));
  ASSERT_TRUE(ExecuteSqlRows(own.ExecuteSql(kPeopleQuery)).has_value());
  EXPECT_EQ(Instances().instances.size(), 2u);

  // An Authorization header is a credential of its own (a tenant token):
  // it never falls back to the default backend; this one is no tenant's.
  HttpClient http;
  HttpRequest request;
  request.method = "POST";
  request.url = gateway().mcp_url();
  request.headers = {"Content-Type: application/json",
                     "Accept: application/json, text/event-stream",
                     "Authorization: Bearer not-a-dsn"};
  request.body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  const auto refused = http.Send(request);
  EXPECT_TRUE(IsJsonRpcErrorResponse(refused, 401, rpc_code::kUnauthorized));
  EXPECT_EQ(Instances().instances.size(), 2u);
}

// Launch-spec flags the gateway refuses at start (exit code 2), with a
// message naming the flag and never echoing a secret.
TEST_F(LaunchSpecTest, BadLaunchSpecFlagsAreRefusedAtStart) {
  const auto dsn_file = temp().path() / "bad-dsn";
  std::ofstream(dsn_file) << "ftp://u:Hidden-77@host/db\n";
  const auto empty_file = temp().path() / "empty-dsn";
  std::ofstream(empty_file) << "\n";
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--server-env=DSN=sqlite:///x"}, "DSN is set by the gateway"},
      {{"--server-env=PORT=1"}, "PORT is set by the gateway"},
      {{"--server-env=NO_EQUALS"}, "NAME=VALUE"},
      {{"--server-arg=x"}, "--server-arg needs --server-command"},
      {{"--server-command=/nonexistent/server"}, "not an executable"},
      {{"--server-command=no-such-program-anywhere"}, "not found in $PATH"},
      {{"--server-readiness-path=healthz"}, "must start with /"},
      {{"--server-readiness-status=maybe"}, "ok or any"},
      {{"--runtime=docker", "--server-command=" + NodeBinary()},
       "--runtime=process only"},
      {{"--default-dsn-file=" + (temp().path() / "missing").string()},
       "cannot read"},
      {{"--default-dsn-file=" + empty_file.string()}, "holds no DSN"},
      {{"--default-dsn-file=" + dsn_file.string()}, "--default-dsn-file: "},
  };
  for (const auto& c : cases) {
    SpawnSpec spec;
    spec.argv = {GatewayBinary(), "--listen=127.0.0.1:0",
                 "--admin-listen=127.0.0.1:0",
                 "--state-dir=" + state_dir().string()};
    spec.argv.insert(spec.argv.end(), c.flags.begin(), c.flags.end());
    spec.output_file = temp().path() / "refused.log";
    const auto result = RunCommand(spec, std::chrono::seconds(30));
    SCOPED_TRACE(c.flags.back());
    ASSERT_TRUE(result.wait_status.has_value()) << result.Describe();
    EXPECT_TRUE(ExitedWithCode(*result.wait_status, 2)) << result.Describe();
    EXPECT_NE(result.output.find(c.says), std::string::npos) << result.output;
    EXPECT_TRUE(DoesNotContain(result.output, "Hidden-77"));
  }
}

}  // namespace
}  // namespace mcpgw::it
