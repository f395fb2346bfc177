// The redacting log sink: every line, text or JSON, without URL passwords.

#include "gateway/observability/structured_log.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace mcpgw::logs {
namespace {

std::string Capture(Format format, const std::function<void()>& log) {
  std::FILE* file = std::tmpfile();
  auto sink = std::make_shared<RedactingSink>(format, file);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  Install(format, spdlog::level::info);  // sets the format Event() uses
  spdlog::set_default_logger(logger);
  log();
  spdlog::set_default_logger(previous);
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out.append(buffer, n);
  std::fclose(file);
  return out;
}

constexpr char kDsn[] = "postgres://app:MARKER-PW@db:5432/app";

TEST(StructuredLogTest, TextLinesAreRedacted) {
  const auto out = Capture(Format::kText, [] {
    spdlog::info("connecting to {}", kDsn);
    Event(spdlog::level::info, "access", {{"target", kDsn}, {"status", 200}});
  });
  EXPECT_EQ(out.find("MARKER-PW"), std::string::npos) << out;
  EXPECT_NE(out.find("connecting to postgres://app:***@db:5432/app"),
            std::string::npos) << out;
  EXPECT_NE(out.find("access status=200 target=postgres://app:***@db:5432/app"),
            std::string::npos) << out;
}

TEST(StructuredLogTest, JsonLinesAreObjectsAndRedacted) {
  const auto out = Capture(Format::kJson, [] {
    spdlog::warn("failed: {}", kDsn);
    Event(spdlog::level::info, "access", {{"target", kDsn}, {"status", 200}});
    spdlog::info("bad utf8 \xff here");
  });
  EXPECT_EQ(out.find("MARKER-PW"), std::string::npos) << out;
  std::size_t start = 0;
  std::vector<nlohmann::json> lines;
  while (start < out.size()) {
    const auto end = out.find('\n', start);
    lines.push_back(nlohmann::json::parse(out.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0]["level"], "warning");
  EXPECT_EQ(lines[0]["msg"], "failed: postgres://app:***@db:5432/app");
  EXPECT_EQ(lines[1]["event"], "access");
  EXPECT_EQ(lines[1]["status"], 200);
  EXPECT_EQ(lines[1]["target"], "postgres://app:***@db:5432/app");
  EXPECT_TRUE(lines[2].contains("time"));
}

}  // namespace
}  // namespace mcpgw::logs
