// Security properties checked against the real processes (item 5 of the
// reliability issue; the rest is secret_hygiene_test.cc, log_redaction_test.cc
// and admin_api_test.cc):
//  - a DBHub instance refuses requests without its per-instance token;
//  - DBHub's environment holds nothing of the gateway's own environment;
//  - the state directory is 0700 and its secrets 0600;
//  - a DBHub that dies printing its DSN (a crash dump, say) does not get the
//    password into the client's error, the gateway's log or the admin API.

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/proc_info.h"
#include "test_support/scoped_env.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"

namespace mcpgw::it {
namespace {

constexpr const char* kCanaryName = "MCPGW_TEST_CANARY_SECRET";
constexpr const char* kCanaryValue = "canary-7f3a9c-do-not-leak";
constexpr const char* kPasswordMarker = "Pw-marker-51d2e8";

class SecurityChecksTest : public GatewayTest {
 protected:
  void SetUp() override {
    if (UnderDockerRuntime()) GTEST_SKIP() << "process runtime only";
  }
};

unsigned Mode(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST_F(SecurityChecksTest, InstanceRefusesRequestsWithoutItsToken) {
  StartGateway();
  ASSERT_EQ(Client(NewSqliteDsn("a.db")).ExecuteSql(kPeopleQuery).status, 200);
  const auto instances = Instances().instances;
  ASSERT_EQ(instances.size(), 1u);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(instances[0].port) + "/mcp";
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  HttpClient http;
  for (const std::vector<std::string>& auth :
       {std::vector<std::string>{},
        std::vector<std::string>{"Authorization: Bearer wrong-token"},
        std::vector<std::string>{"Authorization: Bearer "},
        std::vector<std::string>{"Authorization: Basic YWxpY2U6cHc="}}) {
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.body = body;
    request.headers = {"Content-Type: application/json",
                       "Accept: application/json, text/event-stream"};
    request.headers.insert(request.headers.end(), auth.begin(), auth.end());
    const auto r = http.Send(request);
    SCOPED_TRACE(auth.empty() ? "no Authorization" : auth[0]);
    EXPECT_TRUE(r.status == 401 || r.status == 403) << r.Describe();
    EXPECT_EQ(r.body.find("execute_sql"), std::string::npos) << r.Describe();
  }
}

TEST_F(SecurityChecksTest, DbhubGetsACleanEnvironment) {
  ::setenv(kCanaryName, kCanaryValue, 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", kCanaryValue, 1);
  StartGateway();
  ::unsetenv(kCanaryName);
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_EQ(Client(NewSqliteDsn("env.db")).ExecuteSql(kPeopleQuery).status, 200);
  const auto process = OnlyInstanceProcess();
  ASSERT_TRUE(process.has_value());
  const auto env = ProcessEnvironment(process->pid);
  ASSERT_FALSE(env.empty()) << "cannot read /proc/" << process->pid << "/environ";

  const std::string admin_token = AdminToken();
  std::string secret;
  std::ifstream(state_dir() / "secret") >> secret;
  // Exactly the variables the process runtime sets, nothing inherited.
  const std::set<std::string> allowed = {"PATH", "HOME", "LANG", "NODE_ENV",
                                         "TRANSPORT", "PORT", "DBHUB_HOST",
                                         "DSN", "DBHUB_AUTH_TOKEN"};
  for (const std::string& entry : env) {
    const std::string name = entry.substr(0, entry.find('='));
    EXPECT_TRUE(allowed.count(name)) << "inherited: " << name;
    EXPECT_EQ(entry.find(kCanaryValue), std::string::npos) << name;
    if (!admin_token.empty()) {
      EXPECT_EQ(entry.find(admin_token), std::string::npos) << name;
    }
    if (secret.size() >= 16) {
      EXPECT_EQ(entry.find(secret), std::string::npos) << name;
    }
  }
}

TEST_F(SecurityChecksTest, StateDirectoryIsPrivate) {
  StartGateway();
  ASSERT_EQ(Client(NewSqliteDsn("mode.db")).ExecuteSql(kPeopleQuery).status, 200);
  EXPECT_EQ(Mode(state_dir()), 0700u);
  int dirs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(state_dir())) {
    if (!entry.is_directory()) continue;
    ++dirs;
    // Every directory below is private too (instance records, DBHub's
    // working directories).
    const unsigned mode = Mode(entry.path());
    EXPECT_EQ(mode & 077, 0u) << entry.path() << " " << std::oct << mode;
  }
  EXPECT_GT(dirs, 0);
  EXPECT_EQ(Mode(state_dir() / "secret"), 0600u);
  EXPECT_EQ(Mode(state_dir() / "admin-token"), 0600u);
}

// A fake DBHub that dumps its DSN (as a crash report might) and dies.
TEST_F(SecurityChecksTest, CrashOutputOfAnInstanceNeverShowsThePassword) {
  const auto script = temp().path() / "crash_dump.js";
  std::ofstream(script)
      << "console.error('FATAL: cannot connect to ' + process.env.DSN);\n"
         "console.log('env dump: ' + JSON.stringify(process.env));\n"
         "process.abort();\n";
  const ScopedEnv fake_dbhub("MCP_GATEWAY_DBHUB", script.string());
  StartGateway();
  const std::string dsn = std::string("postgres://alice:") + kPasswordMarker +
                          "@127.0.0.1:1/shop?sslmode=disable";
  auto client = Client(dsn);
  const auto answer = client.ExecuteSql("SELECT 1");
  EXPECT_TRUE(CarriesJsonRpcError(answer)) << answer.Describe();
  EXPECT_TRUE(DoesNotContain(answer.body, kPasswordMarker));
  for (const auto& [name, value] : answer.headers) {
    EXPECT_TRUE(DoesNotContain(value, kPasswordMarker)) << name;
  }
  EXPECT_TRUE(DoesNotContain(Admin("GET", "/admin/instances").body, kPasswordMarker));
  EXPECT_TRUE(DoesNotContain(Admin("GET", "/metrics").body, kPasswordMarker));
  EXPECT_TRUE(DoesNotContain(AllGatewayOutput(), kPasswordMarker));
}

}  // namespace
}  // namespace mcpgw::it
