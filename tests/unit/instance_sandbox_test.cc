// The launcher's command line and what the gateway asks of it for one
// instance (runtime/instance_sandbox, runtime/sandbox/launch_options).

#include <unistd.h>

#include <algorithm>
#include <variant>

#include <gtest/gtest.h>

#include "runtime/instance_sandbox.h"
#include "runtime/sandbox/launch_options.h"

namespace mcpgw::runtime {
namespace {

using sandbox::LaunchOptions;
using sandbox::ParseLaunchOptions;

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(LaunchOptionsTest, RoundTrips) {
  LaunchOptions options;
  options.uid = 10001;
  options.gid = 10002;
  options.parent = 42;
  options.landlock = false;
  options.read = {"/etc/hosts"};
  options.exec = {"/usr", "/opt/node"};
  options.write = {"/run/x/i1", "/data/a.db"};
  options.command = {"/opt/node/bin/node", "--flag", "--", "x"};
  auto parsed = ParseLaunchOptions(sandbox::LaunchArguments(options));
  ASSERT_TRUE(std::holds_alternative<LaunchOptions>(parsed))
      << std::get<std::string>(parsed);
  const auto& back = std::get<LaunchOptions>(parsed);
  EXPECT_EQ(back.uid, options.uid);
  EXPECT_EQ(back.gid, options.gid);
  EXPECT_EQ(back.parent, options.parent);
  EXPECT_EQ(back.landlock, false);
  EXPECT_EQ(back.read, options.read);
  EXPECT_EQ(back.exec, options.exec);
  EXPECT_EQ(back.write, options.write);
  // Everything after the first -- belongs to the program, -- included.
  EXPECT_EQ(back.command, options.command);
}

TEST(LaunchOptionsTest, RefusesWhatItCannotApply) {
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"--", "relative/program"},
           std::vector<std::string>{"--uid", "5", "--", "/bin/true"},
           std::vector<std::string>{"--uid", "-1", "--gid", "5", "--", "/bin/true"},
           std::vector<std::string>{"--read", "etc", "--", "/bin/true"},
           std::vector<std::string>{"--bogus", "x", "--", "/bin/true"},
           std::vector<std::string>{"--read"},
           std::vector<std::string>{},
       }) {
    EXPECT_TRUE(std::holds_alternative<std::string>(ParseLaunchOptions(args)))
        << (args.empty() ? "(none)" : args[0]);
  }
}

TEST(InstanceSandboxTest, CommandRunsTheProgramThroughTheLauncher) {
  InstanceSandbox box;
  box.launcher = "/opt/gw/mcp-gateway-sandbox";
  box.user = InstanceUser{10001, 10001, "uid 10001"};
  box.read_paths = {"/etc/hosts"};
  box.exec_paths = {"/usr", "/opt/deps/node_modules"};
  box.write_paths = {"/data/sqlite"};
  const auto launch = SandboxedCommand(box, "/run/gw/i1", {"/data/a.db"},
                                       {"/opt/deps/node", "dbhub.js", "--port", "1"});
  const auto& argv = launch.argv;
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[0], box.launcher);
  auto parsed = ParseLaunchOptions({argv.begin() + 1, argv.end()});
  ASSERT_TRUE(std::holds_alternative<LaunchOptions>(parsed))
      << std::get<std::string>(parsed);
  auto& options = std::get<LaunchOptions>(parsed);
  // The database's path is in the environment, not in argv.
  for (const auto& arg : argv) EXPECT_EQ(arg.find("a.db"), std::string::npos) << arg;
  const std::string prefix = std::string(sandbox::kWritePathsEnv) + "=";
  ASSERT_EQ(launch.env.rfind(prefix, 0), 0u) << launch.env;
  EXPECT_FALSE(sandbox::AddWritePathsFromEnv(launch.env.substr(prefix.size()), options));
  EXPECT_EQ(options.uid, 10001u);
  EXPECT_EQ(options.parent, getpid());
  EXPECT_TRUE(options.landlock);
  EXPECT_TRUE(Has(options.write, "/run/gw/i1"));
  EXPECT_TRUE(Has(options.write, "/data/sqlite"));
  EXPECT_TRUE(Has(options.write, "/data/a.db"));
  EXPECT_TRUE(Has(options.write, "/data/a.db-journal"));
  EXPECT_TRUE(Has(options.write, "/data/a.db-wal"));
  EXPECT_TRUE(Has(options.exec, "/opt/deps/node_modules"));
  EXPECT_EQ(options.command,
            (std::vector<std::string>{"/opt/deps/node", "dbhub.js", "--port", "1"}));
}

TEST(InstanceSandboxTest, WarmWorkersServeOnlyFilesInsideTheWritePaths) {
  InstanceSandbox box;
  box.write_paths = {"/data/sqlite"};
  EXPECT_TRUE(CoveredByWritePaths(box, {}));
  EXPECT_TRUE(CoveredByWritePaths(box, {"/data/sqlite/a.db"}));
  EXPECT_FALSE(CoveredByWritePaths(box, {"/data/sqlite/../secret.db"}));
  EXPECT_FALSE(CoveredByWritePaths(box, {"/data/sqlite-other/a.db"}));
  EXPECT_FALSE(CoveredByWritePaths(InstanceSandbox{}, {"/data/sqlite/a.db"}));
}

TEST(InstanceSandboxTest, DatabaseFilesComeFromTheDsnAndTheTenantsSources) {
  EXPECT_EQ(DatabaseFilesOf("sqlite:///data/a.db", {}),
            (std::vector<std::string>{"/data/a.db"}));
  EXPECT_EQ(DatabaseFilesOf("", {"SOURCE_1_DSN=sqlite:///t/b.db",
                                 "SOURCE_2_DSN=postgres://u:p@h/db",
                                 "OTHER=x"}),
            (std::vector<std::string>{"/t/b.db"}));
  EXPECT_TRUE(DatabaseFilesOf("sqlite:///:memory:", {}).empty());
}

TEST(InstanceSandboxTest, RuntimeTreeIsTheNearestNodeModules) {
  EXPECT_EQ(RuntimeTreeOf("/nonexistent/deps/node_modules/@x/pkg/dist/index.js"),
            "/nonexistent/deps/node_modules");
  EXPECT_EQ(RuntimeTreeOf("/nonexistent/bin/server"), "/nonexistent/bin");
}

TEST(InstanceUserTest, ParsesUidsAndRefusesRoot) {
  auto numeric = ResolveInstanceUser("12345:23456");
  ASSERT_TRUE(numeric.ok()) << numeric.status();
  EXPECT_EQ(numeric->uid, 12345u);
  EXPECT_EQ(numeric->gid, 23456u);
  EXPECT_FALSE(ResolveInstanceUser("0").ok());
  EXPECT_FALSE(ResolveInstanceUser("root").ok());
  EXPECT_FALSE(ResolveInstanceUser("5:0").ok());
  EXPECT_FALSE(ResolveInstanceUser("no-such-user-anywhere").ok());
  EXPECT_FALSE(ResolveInstanceUser("12x").ok());
  auto fallback = ResolveInstanceUser("");
  ASSERT_TRUE(fallback.ok());
  EXPECT_NE(fallback->uid, 0u);
}

}  // namespace
}  // namespace mcpgw::runtime
