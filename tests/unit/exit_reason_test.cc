#include "runtime/exit_reason.h"

#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

constexpr int kExit1 = 1 << 8;  // wait status of exit(1)
constexpr int kKilled9 = 9;     // wait status of a SIGKILL

TEST(SummarizeExit, PrefersDbhubsFatalError) {
  const std::vector<std::string> lines = {
      "Connecting to 1 database source(s)...",
      "Fatal error: Error: connect ECONNREFUSED 127.0.0.1:1",
      "    at foo (file.js:1:1)",
      "  port: 1",
      "}",
  };
  EXPECT_EQ(SummarizeExit(lines, kExit1),
            "connect ECONNREFUSED 127.0.0.1:1 (exited with status 1)");
}

TEST(SummarizeExit, FallsBackToTheLastMeaningfulLine) {
  EXPECT_EQ(SummarizeExit({"starting", "bad things happened", "    at x.js:1"}, kExit1),
            "bad things happened (exited with status 1)");
}

TEST(SummarizeExit, AKilledProcessIsDescribedByItsSignal) {
  EXPECT_EQ(SummarizeExit({"MCP server endpoint at http://x/mcp"}, kKilled9),
            "killed by signal 9");
  EXPECT_EQ(SummarizeExit({}, kExit1), "exited with status 1");
}

}  // namespace
}  // namespace mcpgw::runtime
