// The redacting log sink: every line, text or JSON, without URL passwords.

#include "gateway/observability/structured_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

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
    EventFields fields;
    fields.String("tool", kDsn);
    Event(spdlog::level::info, "access", fields);
  });
  EXPECT_EQ(out.find("MARKER-PW"), std::string::npos) << out;
  EXPECT_NE(out.find("access tool=postgres://app:***@db:5432/app"),
            std::string::npos) << out;
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

// The line from its level on (two lines may be a millisecond apart).
std::string WithoutTime(const std::string& line) {
  const auto level = line.find("\"level\"");
  if (level != std::string::npos) return line.substr(level);
  return line.substr(line.find(' ') + 1);
}

// EventFields writes the line the nlohmann object wrote: same keys in the
// same order, same quoting, same numbers.
TEST(StructuredLogTest, EventFieldsWriteTheLinesOfTheJsonObject) {
  const std::string odd = "tab\there \"quoted\" caf\xc3\xa9 bad\xff =x";
  for (const Format format : {Format::kText, Format::kJson}) {
    for (const double duration : {0.0, 1.0, 28.3, 0.1, 123456.7, 1e-7}) {
      const auto fast = Capture(format, [&] {
        EventFields fields;
        fields.String("method", "tools/call")
            .StringOrNull("tool", "")
            .StringOrNull("key", "387b160f91d4")
            .String("outcome", odd)
            .String("empty", "")
            .Unsigned("status", 200)
            .Integer("rpc_code", -31004)
            .Double("duration_ms", duration)
            .Unsigned("bytes_in", 109);
        Event(spdlog::level::info, "access", fields);
      });
      const auto dom = Capture(format, [&] {
        Event(spdlog::level::info, "access",
              {{"method", "tools/call"},
               {"tool", nullptr},
               {"key", "387b160f91d4"},
               {"outcome", odd},
               {"empty", ""},
               {"status", 200u},
               {"rpc_code", -31004},
               {"duration_ms", duration},
               {"bytes_in", 109u}});
      });
      EXPECT_NE(fast.find("access"), std::string::npos) << fast;
      EXPECT_EQ(WithoutTime(fast), WithoutTime(dom)) << fast << dom;
    }
  }
}

// Tenths writes what Double writes for tenths / 10, without the float
// formatting, up to the largest tenths and past it.
TEST(StructuredLogTest, TenthsWriteWhatDoubleWritesForTheirValue) {
  for (const Format format : {Format::kText, Format::kJson}) {
    for (const unsigned long long tenths :
         {0ULL, 1ULL, 9ULL, 10ULL, 283ULL, 1000ULL, 1234567ULL, 99999999999999ULL,
          100000000000000ULL, 123456789012345678ULL}) {
      const auto fast = Capture(format, [&] {
        EventFields fields;
        fields.Tenths("duration_ms", tenths).Unsigned("status", 200);
        Event(spdlog::level::info, "access", fields);
      });
      const auto dom = Capture(format, [&] {
        EventFields fields;
        fields.Double("duration_ms", static_cast<double>(tenths) / 10.0)
            .Unsigned("status", 200);
        Event(spdlog::level::info, "access", fields);
      });
      EXPECT_EQ(WithoutTime(fast), WithoutTime(dom)) << tenths;
    }
  }
}

// A payload longer than the writer's stack buffer comes out whole.
TEST(StructuredLogTest, AnEventLongerThanTheStackBufferIsWrittenWhole) {
  const std::string long_value(3000, 'x');
  const auto line = Capture(Format::kText, [&] {
    EventFields fields;
    fields.String("a", "first").String("b", long_value).String("c", "last");
    Event(spdlog::level::info, "access", fields);
  });
  EXPECT_NE(line.find("access a=first b=" + long_value + " c=last"),
            std::string::npos)
      << line.size();
}

std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    out.append(buffer, n);
  }
  return out;
}

// A thread's event loop, as DeferLogWritesOnThisThread sees it: what is
// posted waits until the test runs it.
struct FakeLoop {
  std::vector<std::function<void()>> posted;
  void RunPosted() {
    auto now = std::move(posted);
    posted.clear();
    for (auto& work : now) work();
  }
};

class DeferredWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    sink_ = std::make_shared<RedactingSink>(Format::kText, file_);
    logger_ = std::make_shared<spdlog::logger>("deferred", sink_);
    logger_->set_level(spdlog::level::info);
    DeferLogWritesOnThisThread(
        [this](std::function<void()> work) { loop_.posted.push_back(work); });
  }
  void TearDown() override {
    DeferLogWritesOnThisThread(nullptr);
    logger_.reset();
    sink_.reset();
    std::fclose(file_);
  }
  std::size_t Lines() {
    const auto text = Contents(file_);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  std::FILE* file_ = nullptr;
  std::shared_ptr<RedactingSink> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  FakeLoop loop_;
};

TEST_F(DeferredWritesTest, InfoLinesWaitForTheLoopAndGoOutTogetherInOrder) {
  logger_->info("one {}", kDsn);
  logger_->info("two");
  logger_->info("three");
  EXPECT_EQ(Lines(), 0u);
  ASSERT_EQ(loop_.posted.size(), 1u);  // one write for the three lines
  loop_.RunPosted();
  const auto text = Contents(file_);
  EXPECT_EQ(Lines(), 3u) << text;
  EXPECT_LT(text.find("one"), text.find("two"));
  EXPECT_LT(text.find("two"), text.find("three"));
  EXPECT_EQ(text.find("MARKER-PW"), std::string::npos) << text;
  logger_->info("four");  // a new burst posts again
  EXPECT_EQ(loop_.posted.size(), 1u);
  loop_.RunPosted();
  EXPECT_EQ(Lines(), 4u);
}

TEST_F(DeferredWritesTest, AWarningGoesOutAtOnceAfterTheLinesBeforeIt) {
  logger_->info("before");
  logger_->warn("the warning");
  const auto text = Contents(file_);
  EXPECT_EQ(Lines(), 2u) << text;
  EXPECT_LT(text.find("before"), text.find("the warning"));
  loop_.RunPosted();  // nothing left for it
  EXPECT_EQ(Lines(), 2u);
}

TEST_F(DeferredWritesTest, FlushAndTheSinksEndWriteWhatWaits) {
  logger_->info("flushed");
  logger_->flush();
  EXPECT_EQ(Lines(), 1u);
  logger_->info("at the end");
  EXPECT_EQ(Lines(), 1u);
  std::FILE* file = file_;
  logger_.reset();
  sink_.reset();  // the loop never ran: the sink's end writes the line
  file_ = std::tmpfile();
  EXPECT_NE(Contents(file).find("at the end"), std::string::npos);
  std::fclose(file);
  loop_.RunPosted();  // the sink is gone: nothing happens
}

TEST_F(DeferredWritesTest, AThreadWithoutALoopWritesAtOnce) {
  std::thread other([this] { logger_->info("from another thread"); });
  other.join();
  EXPECT_EQ(Lines(), 1u);
  EXPECT_TRUE(loop_.posted.empty());
}

TEST_F(DeferredWritesTest, ALongBacklogIsWrittenWithoutWaiting) {
  const std::string line(1000, 'x');
  for (int i = 0; i < 100; ++i) logger_->info(line);
  EXPECT_GT(Lines(), 0u);  // 64 KB reached: written without the loop
  loop_.RunPosted();
  EXPECT_EQ(Lines(), 100u);
}

}  // namespace
}  // namespace mcpgw::logs
