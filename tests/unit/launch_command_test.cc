#include "runtime/launch_command.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

const InstanceLaunch kInstance{"127.0.0.1", 41234, "postgres://u:pw@h/db",
                               "token-abc"};

bool AnyContains(const std::vector<std::string>& items, std::string_view part) {
  return std::any_of(items.begin(), items.end(), [&](const std::string& item) {
    return item.find(part) != std::string::npos;
  });
}

TEST(LaunchCommand, DbhubKeepsTodaysArgvAndEnvironment) {
  const auto line = DbhubCommandLine("/n/node", "/d/index.js",
                                     {"PATH=/usr/bin", "HOME=/w"}, {}, kInstance);
  EXPECT_THAT(line.argv, ElementsAre("/n/node", "/d/index.js", "--transport",
                                     "http", "--port", "41234"));
  EXPECT_THAT(line.env,
              ElementsAre("PATH=/usr/bin", "HOME=/w", "TRANSPORT=http",
                          "PORT=41234", "DBHUB_HOST=127.0.0.1",
                          "DSN=postgres://u:pw@h/db",
                          "DBHUB_AUTH_TOKEN=token-abc"));
}

TEST(LaunchCommand, DbhubWithoutDsnGetsNoDsnVariable) {
  InstanceLaunch tenant = kInstance;
  tenant.dsn.clear();  // a tenant's sources come from its --config file
  const auto line = DbhubCommandLine("/n/node", "/d/index.js", {}, {}, tenant);
  EXPECT_FALSE(AnyContains(line.env, "DSN="));
  EXPECT_TRUE(AnyContains(line.env, "DBHUB_AUTH_TOKEN=token-abc"));
}

TEST(LaunchCommand, CustomServerGetsExpandedArgsAndInstanceEnvironment) {
  const ServerCommand command{"/bin/server",
                              {"streamableHttp", "--listen={host}:{port}"}};
  const auto line = CustomCommandLine(command, {"PATH=/usr/bin"},
                                      {"LOG=debug"}, kInstance);
  EXPECT_THAT(line.argv, ElementsAre("/bin/server", "streamableHttp",
                                     "--listen=127.0.0.1:41234"));
  EXPECT_THAT(line.env, ElementsAre("PATH=/usr/bin", "LOG=debug", "PORT=41234",
                                    "HOST=127.0.0.1",
                                    "DSN=postgres://u:pw@h/db",
                                    "MCP_GATEWAY_AUTH_TOKEN=token-abc"));
}

TEST(LaunchCommand, SecretsNeverReachArgv) {
  const ServerCommand command{"/bin/server", {"{dsn}", "{token}", "{port}"}};
  const auto line = CustomCommandLine(command, {}, {}, kInstance);
  EXPECT_FALSE(AnyContains(line.argv, "pw@"));
  EXPECT_FALSE(AnyContains(line.argv, "token-abc"));
  EXPECT_THAT(line.argv, Contains("41234"));
}

TEST(LaunchCommand, ExtraEnvironmentReplacesBaseEntriesOfTheSameName) {
  const auto env = MergeEnvironment({"PATH=/usr/bin", "HOME=/w"},
                                    {"PATH=/opt/bin", "URL=http://{host}:{port}"},
                                    kInstance);
  EXPECT_THAT(env, ElementsAre("PATH=/opt/bin", "HOME=/w",
                               "URL=http://127.0.0.1:41234"));
}

TEST(LaunchCommand, ExtraEnvironmentMayNotSetTheInstanceVariables) {
  EXPECT_TRUE(ValidateExtraEnv({"A=1", "LOG_LEVEL=", "x_2=y=z"}).ok());
  for (const char* bad : {"PORT=1", "DSN=x", "HOST=0.0.0.0",
                          "MCP_GATEWAY_AUTH_TOKEN=t", "DBHUB_AUTH_TOKEN=t",
                          "NOEQUALS", "=v", "1A=v", "A-B=v"}) {
    EXPECT_FALSE(ValidateExtraEnv({bad}).ok()) << bad;
  }
}

TEST(LaunchCommand, ErrorsDoNotEchoEnvironmentValues) {
  const auto status = ValidateExtraEnv({"BAD-NAME=secret-value"});
  EXPECT_THAT(std::string(status.message()), Not(testing::HasSubstr("secret")));
}

}  // namespace
}  // namespace mcpgw::runtime
