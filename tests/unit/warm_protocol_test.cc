// The gateway's side of the warm worker protocol: the claim line, the
// reports it trusts, and the checks before a worker may be handed a DSN.

#include "runtime/warm_protocol.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mcpgw::runtime {
namespace {

TEST(ClaimLineTest, IsOneJsonLineWithEverythingTheWorkerNeeds) {
  const std::string line = ClaimLine(
      {"postgres://u:p%40ss@db/x", "tok\"en", 4321, "/run/i/dbhub.toml"});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "exactly one line";
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["dsn"], "postgres://u:p%40ss@db/x");
  EXPECT_EQ(json["token"], "tok\"en");
  EXPECT_EQ(json["port"], 4321);
  EXPECT_EQ(json["config"], "/run/i/dbhub.toml");
}

TEST(ClaimLineTest, LeavesOutAnEmptyConfig) {
  const auto json = nlohmann::json::parse(ClaimLine({"sqlite:///a", "t", 1, ""}));
  EXPECT_FALSE(json.contains("config"));
}

TEST(ParseWorkerReportTest, ReadsTheWarmReport) {
  const auto report = ParseWorkerReport(
      R"({"warm":true,"dbhub_version":"1.4.0","tested_dbhub_version":"1.4.0","failed":["zod: X"],"rehearsal":"ok"})");
  ASSERT_TRUE(report.has_value());
  const auto* warm = std::get_if<WarmReport>(&*report);
  ASSERT_NE(warm, nullptr);
  EXPECT_EQ(warm->dbhub_version, "1.4.0");
  EXPECT_EQ(warm->tested_dbhub_version, "1.4.0");
  EXPECT_EQ(warm->failed, std::vector<std::string>{"zod: X"});
  EXPECT_EQ(warm->rehearsal_error, "");
}

TEST(ParseWorkerReportTest, KeepsWhyTheRehearsalFailed) {
  const auto failed = ParseWorkerReport(
      R"({"warm":true,"dbhub_version":"1.4.0","tested_dbhub_version":"1.4.0","failed":[],"rehearsal":"boom"})");
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(std::get<WarmReport>(*failed).rehearsal_error, "boom");
  // A preloader that does not say counts as not rehearsed.
  const auto silent = ParseWorkerReport(R"({"warm":true,"failed":[]})");
  ASSERT_TRUE(silent.has_value());
  EXPECT_EQ(std::get<WarmReport>(*silent).rehearsal_error, "missing");
}

TEST(ParseWorkerReportTest, ReadsReadyAndErrorReports) {
  const auto ready = ParseWorkerReport(R"({"ready":true,"port":40001})");
  ASSERT_TRUE(ready.has_value());
  ASSERT_TRUE(std::holds_alternative<ReadyReport>(*ready));
  EXPECT_EQ(std::get<ReadyReport>(*ready).port, 40001);

  const auto error = ParseWorkerReport(R"({"error":"bad claim"})");
  ASSERT_TRUE(error.has_value());
  ASSERT_TRUE(std::holds_alternative<ErrorReport>(*error));
  EXPECT_EQ(std::get<ErrorReport>(*error).message, "bad claim");
}

TEST(ParseWorkerReportTest, RejectsWhatIsNotAReport) {
  for (const char* line :
       {"", "not json", "[1,2]", "{}", R"({"warm":false})",
        R"({"ready":true})", R"({"ready":true,"port":0})",
        R"({"ready":true,"port":70000})", R"({"ready":true,"port":-1})",
        R"({"ready":true,"port":"80"})", R"({"error":3})"}) {
    EXPECT_FALSE(ParseWorkerReport(line).has_value()) << line;
  }
}

TEST(CheckWarmReportTest, AcceptsTheTestedVersionWithEverythingLoaded) {
  EXPECT_TRUE(CheckWarmReport({"1.4.0", "1.4.0", {}, ""}).ok());
}

TEST(CheckWarmReportTest, RefusesAnotherDbhubVersion) {
  const auto status = CheckWarmReport({"1.5.0", "1.4.0", {}, ""});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("tested with DBHub 1.4.0"),
            std::string::npos);
  EXPECT_NE(status.message().find("1.5.0"), std::string::npos);
}

TEST(CheckWarmReportTest, RefusesModulesThatDidNotLoad) {
  const auto status =
      CheckWarmReport({"1.4.0", "1.4.0", {"express: ERR_MODULE_NOT_FOUND", "x"}, ""});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("2 of DBHub's modules"), std::string::npos);
  EXPECT_NE(status.message().find("express"), std::string::npos);
}

TEST(TakeLinesTest, SplitsCompleteLinesAndKeepsThePartialOne) {
  std::string buffer = "one\ntwo\nthr";
  EXPECT_EQ(TakeLines(buffer), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(buffer, "thr");
  buffer += "ee\n";
  EXPECT_EQ(TakeLines(buffer), std::vector<std::string>{"three"});
  EXPECT_EQ(buffer, "");
  EXPECT_TRUE(TakeLines(buffer).empty());
}

}  // namespace
}  // namespace mcpgw::runtime
