#include "policies/sqlite_path.h"

#include <string>

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

constexpr const char* kDir = "/srv/sqlite";

struct Case {
  const char* name;
  const char* dsn;
  bool allowed;
};

class SqlitePathTest : public ::testing::TestWithParam<Case> {};

TEST_P(SqlitePathTest, Decides) {
  const Case& c = GetParam();
  const absl::Status status = CheckSqlitePathWithin(c.dsn, kDir);
  EXPECT_EQ(status.ok(), c.allowed) << c.dsn << ": " << status;
  if (!status.ok()) {
    EXPECT_TRUE(absl::IsPermissionDenied(status));
    // The message never repeats the DSN.
    EXPECT_EQ(std::string(status.message()).find("sqlite:"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Dsns, SqlitePathTest,
    ::testing::Values(
        Case{"FileInside", "sqlite:///srv/sqlite/app.db", true},
        Case{"Nested", "sqlite:///srv/sqlite/team/app.db", true},
        Case{"UpperCaseScheme", "SQLITE:///srv/sqlite/app.db", true},
        Case{"DotSegmentStaysInside", "sqlite:///srv/sqlite/a/../b.db", true},
        Case{"Memory", "sqlite:///:memory:", true},
        Case{"OtherScheme", "postgres://u:p@h/../../etc", true},
        Case{"Outside", "sqlite:///etc/passwd", false},
        Case{"DotDotEscape", "sqlite:///srv/sqlite/../../etc/passwd", false},
        Case{"EncodedDotDot", "sqlite:///srv/sqlite/%2e%2e/%2e%2e/etc/passwd", false},
        Case{"EncodedSlash", "sqlite:///srv/sqlite/..%2f..%2fetc/passwd", false},
        Case{"SiblingPrefix", "sqlite:///srv/sqlite-other/app.db", false},
        Case{"TheDirectoryItself", "sqlite:///srv/sqlite", false},
        Case{"TheDirectoryWithSlash", "sqlite:///srv/sqlite/", false},
        Case{"HostAsRelativePath", "sqlite://srv/sqlite/app.db", false},
        Case{"DotDotHost", "sqlite://../srv/sqlite/app.db", false},
        Case{"RelativePath", "sqlite:app.db", false},
        Case{"EncodedNul", "sqlite:///srv/sqlite/app.db%00.txt", false},
        Case{"UserInfo", "sqlite://u:p@/srv/sqlite/app.db", false},
        Case{"NotAUrl", "sqlite:///srv/sqlite/a b.db", false}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(SqlitePathDirTest, RelativeDirectoryIsRefused) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckSqlitePathWithin("sqlite:///srv/a.db", "srv")));
}

}  // namespace
}  // namespace mcpgw::policies
