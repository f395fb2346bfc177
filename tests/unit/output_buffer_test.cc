#include "runtime/output_buffer.h"

#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

TEST(OutputBuffer, SplitsLinesAcrossChunksAndRedactsThem) {
  OutputBuffer buffer(common::Redactor({"hunter2"}));
  buffer.Append("Connecting to postgres://bob:hun");
  buffer.Append("ter2@db/x\npassword hunter2 rejected\npartial");
  buffer.Flush();
  const auto lines = buffer.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Connecting to postgres://bob:***@db/x");
  EXPECT_EQ(lines[1], "password *** rejected");
  EXPECT_EQ(lines[2], "partial");
  EXPECT_EQ(buffer.Text().find("hunter2"), std::string::npos);
}

TEST(OutputBuffer, KeepsOnlyTheNewestLinesWithinItsBound) {
  OutputBuffer buffer(common::Redactor(), 100);
  for (int i = 0; i < 50; ++i) buffer.Append("line " + std::to_string(i) + "\n");
  const auto lines = buffer.Lines();
  EXPECT_LE(buffer.Text().size(), 100u);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "line 49");
}

TEST(OutputBuffer, CapsOverlongLines) {
  OutputBuffer buffer{common::Redactor()};
  buffer.Append(std::string(OutputBuffer::kMaxLineBytes * 3, 'x') + "\n");
  ASSERT_EQ(buffer.Lines().size(), 1u);
  EXPECT_EQ(buffer.Lines()[0].size(), OutputBuffer::kMaxLineBytes);
}

}  // namespace
}  // namespace mcpgw::runtime
