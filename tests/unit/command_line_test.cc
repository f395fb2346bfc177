// The command line as a user types it: --help and --version come back as
// text (nothing exits), each bad flag is named, defaults are filled in, and
// the files a configuration names are checked last.

#include "src/config.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mcpgw {
namespace {

absl::StatusOr<CommandLine> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "mcp-gateway");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

// The docker runtime needs no local files: its flags alone are checked.
std::vector<std::string> Docker(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--runtime=docker",
                                   "--docker-host=unix:///run/none.sock",
                                   "--state-dir=/tmp/mcpgw-command-line"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string ErrorOf(const absl::StatusOr<CommandLine>& parsed) {
  return parsed.ok() ? "(parsed)" : std::string(parsed.status().message());
}

TEST(CommandLine, HelpAndVersionAreTextToPrint) {
  const auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->action, CommandLine::Action::kPrintAndExit);
  EXPECT_NE(help->text.find("Usage: mcp-gateway [options]"), std::string::npos);
  EXPECT_NE(help->text.find("--idle-timeout"), std::string::npos);
  EXPECT_NE(help->text.find("--kube-namespace"), std::string::npos);
  const auto version = Parse({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->action, CommandLine::Action::kPrintAndExit);
  EXPECT_EQ(version->text.rfind("mcp-gateway ", 0), 0u) << version->text;
}

TEST(CommandLine, DefaultsAreFilledIn) {
  const auto parsed = Parse(Docker());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Config& config = parsed->config;
  EXPECT_EQ(parsed->action, CommandLine::Action::kRun);
  EXPECT_EQ(config.idle_timeout, std::chrono::minutes(5));
  EXPECT_EQ(config.shutdown_grace, std::chrono::seconds(10));
  EXPECT_EQ(config.read_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.max_instances, 32);
  EXPECT_GE(config.threads, 1);
  EXPECT_EQ(config.tenants_from, "sqlite");
  EXPECT_EQ(config.state_dir, "/tmp/mcpgw-command-line");
  EXPECT_EQ(config.docker_engine.display, "unix:///run/none.sock");
  EXPECT_EQ(config.container_limits.pids_limit, 256);
}

TEST(CommandLine, ValuesAreTakenAndConverted) {
  const auto parsed = Parse(Docker({"--idle-timeout=90s", "--read-timeout=1500ms",
                                    "--liveness-timeout=off", "--threads=3",
                                    "--allow-schemes=postgres,sqlite",
                                    "--max-body-bytes=2048"}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Config& config = parsed->config;
  EXPECT_EQ(config.idle_timeout, std::chrono::seconds(90));
  EXPECT_EQ(config.read_timeout, std::chrono::seconds(2));  // rounded up
  EXPECT_EQ(config.liveness_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(config.threads, 3);
  EXPECT_EQ(config.allow_schemes, (std::vector<std::string>{"postgres", "sqlite"}));
  EXPECT_EQ(config.max_body_bytes, 2048u);
}

TEST(CommandLine, EachBadFlagIsNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  const std::vector<Case> cases = {
      {{"--no-such-flag"}, "see --help"},
      {{"--idle-timeout=soon"}, "idle-timeout"},
      {{"--max-instances=0"}, "--max-instances"},
      {{"--warm-pool=99"}, "--warm-pool"},
      {{"--log-format=xml"}, "--log-format"},
      {{"--max-header-bytes=10"}, "--max-header-bytes"},
      {{"--webhook=ftp://x"}, "--webhook"},
      {{"--tenants-from=ldap"}, "--tenants-from"},
      {{"--sqlite-dir=relative"}, "--sqlite-dir"},
      {{"--rate-limit=-1"}, "cannot be negative"},
      {{"--server-readiness-path=healthz"}, "--server-readiness-path"},
      {{"--server-arg=x"}, "--server-arg needs --server-command"},
      {{"--server-command=/bin/true"}, "--runtime=process only"},
      {{"--container-pids-limit=2"}, "--container-pids-limit"},
      {{"--docker-user=root"}, "--docker-user"},
  };
  for (const auto& c : cases) {
    const auto parsed = Parse(Docker(c.args));
    EXPECT_FALSE(parsed.ok()) << c.args.front();
    EXPECT_NE(ErrorOf(parsed).find(c.named), std::string::npos)
        << c.args.front() << ": " << ErrorOf(parsed);
  }
}

TEST(CommandLine, RuntimesAndTheirFlagsGoTogether) {
  EXPECT_NE(ErrorOf(Parse({"--runtime=vm"})).find("expected process, docker or kubernetes"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Parse(Docker({"--tenants-from=kubernetes"})))
                .find("needs --runtime=kubernetes"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Parse(Docker({"--kube-cleanup"}))).find("--kube-cleanup"),
            std::string::npos);
}

TEST(CommandLine, NamedFilesAreCheckedAndTheirContentNeverShown) {
  const auto missing = Parse(Docker({"--default-dsn-file=/nonexistent/dsn"}));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(ErrorOf(missing).find("--default-dsn-file"), std::string::npos);

  const std::string file = testing::TempDir() + "/default-dsn";
  {
    FILE* out = fopen(file.c_str(), "w");
    ASSERT_NE(out, nullptr);
    fputs("postgres://user:hunter2-secret@db.example:5432/app\n", out);
    fclose(out);
  }
  const auto read = Parse(Docker({"--default-dsn-file=" + file}));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->config.default_dsn,
            "postgres://user:hunter2-secret@db.example:5432/app");
  {
    FILE* out = fopen(file.c_str(), "w");
    ASSERT_NE(out, nullptr);
    fputs("hunter2-not-a-dsn\n", out);
    fclose(out);
  }
  const auto bad = Parse(Docker({"--default-dsn-file=" + file}));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(ErrorOf(bad).find("hunter2"), std::string::npos) << ErrorOf(bad);
}

TEST(CommandLine, ProcessRuntimeLooksForItsProgramsLast) {
  // Everything else is valid: what is missing is named, with the fix.
  const auto parsed = Parse({"--state-dir=/tmp/mcpgw-command-line",
                             "--node=/nonexistent/node"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string why = ErrorOf(parsed);
  EXPECT_TRUE(why.find("no sandbox launcher") != std::string::npos ||
              why.find("no Node.js binary at /nonexistent/node") != std::string::npos)
      << why;
}

}  // namespace
}  // namespace mcpgw
