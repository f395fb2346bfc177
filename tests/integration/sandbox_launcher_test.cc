// mcp-gateway-sandbox on its own, the way the gateway runs it in front of
// every instance: the uid change with no supplementary groups and
// no_new_privs, and the Landlock domain (a file outside the allowed paths
// cannot be opened even though its mode lets everyone read it).

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/sandbox/landlock.h"
#include "test_support/paths.h"
#include "test_support/process.h"
#include "test_support/temp_dir.h"

namespace mcpgw::it {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kTimeout{20};

std::string Launcher() {
  return (fs::path(GatewayBinary()).parent_path() / "mcp-gateway-sandbox").string();
}

std::vector<std::string> SystemRules() {
  return {"--exec", "/usr", "--exec", "/lib", "--exec", "/lib64", "--exec", "/bin",
          "--read", "/etc/ld.so.cache", "--read", "/proc"};
}

CommandResult Launch(std::vector<std::string> args) {
  args.insert(args.begin(), Launcher());
  SpawnSpec spec;
  spec.argv = std::move(args);
  return RunCommand(std::move(spec), kTimeout);
}

TEST(SandboxLauncherTest, DropsToTheInstanceUserWithNoGroupsAndNoNewPrivs) {
  if (geteuid() != 0) GTEST_SKIP() << "the uid change needs root";
  const auto result = Launch({"--uid", "65534", "--gid", "65534", "--no-landlock",
                              "--", "/bin/cat", "/proc/self/status"});
  ASSERT_TRUE(result.ok()) << result.Describe();
  EXPECT_NE(result.output.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos)
      << result.output;
  // The kernel prints "Groups:\t \n" for none.
  const auto groups = result.output.find("Groups:");
  ASSERT_NE(groups, std::string::npos) << result.output;
  const auto end = result.output.find('\n', groups);
  EXPECT_EQ(result.output.substr(groups + 7, end - groups - 7)
                .find_first_not_of(" \t"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("NoNewPrivs:\t1"), std::string::npos) << result.output;
}

TEST(SandboxLauncherTest, LandlockAllowsOnlyTheListedPaths) {
  if (sandbox::LandlockAbi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  TempDir temp("mcpgw-launcher");
  chmod(temp.path().c_str(), 0755);
  const fs::path allowed = temp.path() / "allowed";
  const fs::path denied = temp.path() / "denied";
  fs::create_directories(allowed);
  fs::create_directories(denied);
  std::ofstream(allowed / "f") << "allowed-content";
  std::ofstream(denied / "f") << "denied-content";
  chmod((denied / "f").c_str(), 0644);

  auto rules = SystemRules();
  rules.insert(rules.end(), {"--write", allowed.string(), "--"});
  auto read_allowed = rules;
  read_allowed.insert(read_allowed.end(), {"/bin/cat", (allowed / "f").string()});
  auto result = Launch(read_allowed);
  EXPECT_TRUE(result.ok()) << result.Describe();
  EXPECT_NE(result.output.find("allowed-content"), std::string::npos);

  auto read_denied = rules;
  read_denied.insert(read_denied.end(), {"/bin/cat", (denied / "f").string()});
  result = Launch(read_denied);
  EXPECT_FALSE(result.ok()) << result.Describe();
  EXPECT_EQ(result.output.find("denied-content"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Permission denied"), std::string::npos) << result.output;

  auto write_denied = rules;
  write_denied.insert(write_denied.end(), {"/bin/cp", (allowed / "f").string(),
                                           (denied / "copy").string()});
  result = Launch(write_denied);
  EXPECT_FALSE(result.ok()) << result.Describe();
  EXPECT_FALSE(fs::exists(denied / "copy"));
}

TEST(SandboxLauncherTest, ExplainsWhatItCannotDo) {
  auto result = Launch({"--", "relative"});
  ASSERT_TRUE(result.wait_status.has_value());
  EXPECT_TRUE(ExitedWithCode(*result.wait_status, 126)) << result.Describe();
  EXPECT_NE(result.output.find("mcp-gateway-sandbox: "), std::string::npos) << result.output;
  result = Launch({"--no-landlock", "--", "/nonexistent/program"});
  EXPECT_TRUE(ExitedWithCode(*result.wait_status, 126)) << result.Describe();
  EXPECT_NE(result.output.find("cannot run /nonexistent/program"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace mcpgw::it
