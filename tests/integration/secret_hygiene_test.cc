// Passwords from DSNs never show up where others can read them: the
// gateway's output, the admin API, any process's command line.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/net_util.h"
#include "test_support/postgres_server.h"
#include "test_support/proc_info.h"
#include "test_support/test_runtime.h"

namespace mcpgw::it {
namespace {

using SecretHygieneTest = GatewayTest;

constexpr const char* kUnreachablePassword = "Very-Secret-77";

TEST_F(SecretHygieneTest, PasswordsNeverShowInOutputAdminApiOrCommandLines) {
  auto& postgres = SharedPostgres();
  const std::vector<std::string> secrets = {PostgresServer::kPassword,
                                            kUnreachablePassword};
  StartGateway({"--log-level=debug", "--start-timeout=60s"});

  // A working instance with a password...
  auto good = Client(postgres.Dsn());
  const auto rows = good.ExecuteSql(kProductsQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  ASSERT_EQ(ExecuteSqlRows(rows), ProductsRows()) << rows.Describe();
  // ...one that fails to start (DBHub prints its reason)...
  RefusingPort closed;
  auto bad = Client(std::string("postgres://bob:") + kUnreachablePassword +
                    "@127.0.0.1:" + std::to_string(closed.port()) + "/x");
  const auto failed = bad.ListTools();
  EXPECT_EQ(failed.status, 502) << failed.Describe();
  EXPECT_TRUE(DoesNotContain(failed.body, kUnreachablePassword));
  // ...and a DSN offered in the query string.
  auto smuggler = Client(std::nullopt);
  const auto refused = smuggler.PostRaw(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
      "?dsn=" + UrlEncode(postgres.Dsn()));
  EXPECT_TRUE(DoesNotContain(refused.body, PostgresServer::kPassword));

  // While the instance runs: admin API and every command line.
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  const std::string port_text = ":" + std::to_string(postgres.port());
  const InstanceInfo* instance = nullptr;
  for (const auto& candidate : snapshot.instances) {
    if (candidate.target.find(port_text) != std::string::npos) {
      instance = &candidate;
    }
  }
  ASSERT_NE(instance, nullptr)
      << "no instance for the PostgreSQL DSN: " << snapshot.response.body;
  ASSERT_TRUE(IsRunning(instance->pid)) << snapshot.response.body;
  EXPECT_NE(instance->target.find("***"), std::string::npos)
      << "the target should show the password as ***: " << instance->target;
  for (const auto& secret : secrets) {
    EXPECT_TRUE(DoesNotContain(snapshot.response.body, secret))
        << "in GET /admin/instances";
    for (const auto& [pid, cmdline] : AllCommandLines()) {
      EXPECT_TRUE(DoesNotContain(cmdline, secret))
          << "in /proc/" << pid << "/cmdline";
    }
  }

  // A container holds the DSN in its environment and nowhere else the
  // engine shows (command, labels, mounts, ...).
  if (UnderDockerRuntime()) {
    ASSERT_FALSE(instance->container_id.empty()) << snapshot.response.body;
    auto inspect = InspectRaw(instance->container_id);
    ASSERT_TRUE(inspect.is_object()) << "inspect " << instance->container_id;
    ASSERT_TRUE(inspect["Config"].contains("Env"));
    EXPECT_FALSE(DoesNotContain(inspect["Config"]["Env"].dump(),
                                PostgresServer::kPassword))
        << "the DSN should be in the container's environment";
    inspect["Config"].erase("Env");
    for (const auto& secret : secrets) {
      EXPECT_TRUE(DoesNotContain(inspect.dump(), secret))
          << "in the container's inspect output outside Config.Env";
    }
  }

  StopGatewayAndExpectCleanExit();
  const std::string output = AllGatewayOutput();
  EXPECT_FALSE(output.empty()) << "no gateway output was captured";
  for (const auto& secret : secrets) {
    EXPECT_TRUE(DoesNotContain(output, secret)) << "in the gateway's output";
  }
}

}  // namespace
}  // namespace mcpgw::it
