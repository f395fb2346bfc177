#include "policies/dsn.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mcpgw::policies {
namespace {

TEST(ParseDsn, PostgresGetsDefaultPortLowerCaseHostAndSortedQuery) {
  auto dsn = ParseDsn("POSTGRES://alice:pw@DB.Example.COM/sales?sslmode=disable&application_name=x");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->scheme, "postgres");
  EXPECT_EQ(dsn->canonical,
            "postgres://alice:pw@db.example.com:5432/sales?application_name=x&sslmode=disable");
  EXPECT_EQ(dsn->redacted,
            "postgres://alice:***@db.example.com:5432/sales?application_name=x&sslmode=disable");
  EXPECT_EQ(dsn->original,
            "POSTGRES://alice:pw@DB.Example.COM/sales?sslmode=disable&application_name=x");
}

TEST(ParseDsn, EquivalentSpellingsShareOneCanonicalForm) {
  auto a = ParseDsn("postgres://u:p@h:5432/db?b=2&a=1");
  auto b = ParseDsn("postgres://u:p@H/db?a=1&b=2");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->canonical, b->canonical);
}

TEST(ParseDsn, DifferentPasswordsStayDifferent) {
  auto a = ParseDsn("postgres://u:one@h/db");
  auto b = ParseDsn("postgres://u:two@h/db");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->canonical, b->canonical);
  EXPECT_EQ(a->redacted, b->redacted);
}

TEST(ParseDsn, CollectsEverySpellingOfThePassword) {
  auto dsn = ParseDsn("mysql://root:p%40ss%2Fword@db/x?password=other");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_NE(std::find(dsn->secrets.begin(), dsn->secrets.end(), "p%40ss%2Fword"),
            dsn->secrets.end());
  EXPECT_NE(std::find(dsn->secrets.begin(), dsn->secrets.end(), "p@ss/word"),
            dsn->secrets.end());
  EXPECT_NE(std::find(dsn->secrets.begin(), dsn->secrets.end(), "other"),
            dsn->secrets.end());
  EXPECT_EQ(dsn->redacted.find("other"), std::string::npos);
  EXPECT_EQ(dsn->redacted.find("p%40ss"), std::string::npos);
}

// Found by fuzz_dsn: the password repeated inside a value that is not
// sensitive itself stayed visible in the redacted form.
TEST(ParseDsn, RedactedFormHidesASecretRepeatedInAnotherValue) {
  auto dsn = ParseDsn("postgres://u:s3cret@h/db?application_name=s3cret-app");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->redacted.find("s3cret"), std::string::npos) << dsn->redacted;
  EXPECT_NE(dsn->redacted.find("application_name=***-app"), std::string::npos)
      << dsn->redacted;
}

TEST(ParseDsn, SqliteFilePath) {
  auto dsn = ParseDsn("sqlite:///var/data/app.db");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->canonical, "sqlite:///var/data/app.db");
  EXPECT_EQ(dsn->redacted, "sqlite:///var/data/app.db");
  EXPECT_TRUE(dsn->secrets.empty());
}

struct BadDsn {
  const char* name;
  const char* dsn;
  const char* message_part;
};

class ParseDsnRefuses : public testing::TestWithParam<BadDsn> {};

TEST_P(ParseDsnRefuses, WithAClearMessage) {
  auto dsn = ParseDsn(GetParam().dsn);
  ASSERT_FALSE(dsn.ok());
  EXPECT_EQ(dsn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(dsn.status().message()).find(GetParam().message_part),
            std::string::npos)
      << dsn.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDsnRefuses,
    testing::Values(BadDsn{"Empty", "", "empty"},
                    BadDsn{"FtpScheme", "ftp://x/y", "unsupported DSN scheme 'ftp'"},
                    BadDsn{"NotAUrl", "not a url", "not a valid URL"},
                    BadDsn{"NoHost", "postgres:///db", "needs a host"},
                    BadDsn{"SqliteWithoutPath", "sqlite://", "needs a file path"},
                    BadDsn{"SqlitePathNormalisesToRoot", "sqlite:///a/..", "needs a file path"},
                    BadDsn{"SqliteDotPath", "sqlite:/.??:my:", "needs a file path"},
                    BadDsn{"JunkAfterIpv6Host", "postgresql://u:p@[::1]45:6r3db", "not a valid URL"},
                    BadDsn{"EncodedCrLfInHost", "postgres://u:p@h%0d%0aX-Evil:%201/db",
                           "host contains control characters"},
                    BadDsn{"EncodedSpaceInHost", "mysql://u:p@h%20x/db",
                           "host contains control characters"},
                    BadDsn{"PortTooLarge", "postgres://u:p@h:99999/db", "port is not a number"},
                    BadDsn{"PortZero", "postgres://u:p@h:0/db", "port is not a number"},
                    BadDsn{"PortOverflow", "postgres://u:p@h:4294967297/db", "port is not a number"},
                    BadDsn{"HeaderInjection", "postgres://u:p@h/db\r\nX-Evil: 1",
                           "control characters"}),
    [](const testing::TestParamInfo<BadDsn>& info) { return info.param.name; });

TEST(ParseDsn, RefusesOverlongDsnWithoutEchoingIt) {
  const std::string dsn = "postgres://u:secretsecret@h/" + std::string(5000, 'd');
  auto parsed = ParseDsn(dsn);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).find("secretsecret"),
            std::string::npos);
}

TEST(ParseDsn, BadSchemeMessageNeverCarriesThePassword) {
  auto parsed = ParseDsn("bogus://user:hunter2@host/db");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).find("hunter2"),
            std::string::npos);
}

TEST(ParseDsn, KeepsWhatTheDsnRulesReadEveryRequest) {
  const auto postgres = ParseDsn("postgres://u:p@DB.Example:5432/app");
  ASSERT_TRUE(postgres.ok());
  EXPECT_EQ(postgres->host, "db.example");
  EXPECT_EQ(postgres->sqlite_files, nullptr);
  const auto v6 = ParseDsn("mysql://u:p@[::1]:3306/app");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  // Raw and percent-decoded spellings, each once.
  const auto sqlite = ParseDsn("sqlite:///data/a%2Fb/../x.db");
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(sqlite->host, "");
  ASSERT_NE(sqlite->sqlite_files, nullptr);
  std::vector<std::string> normal;
  for (const auto& file : *sqlite->sqlite_files) {
    normal.push_back(file.normal.string());
  }
  EXPECT_NE(std::find(normal.begin(), normal.end(), "/data/x.db"), normal.end());
  EXPECT_NE(std::find(normal.begin(), normal.end(), "/data/a/x.db"), normal.end());
  std::sort(normal.begin(), normal.end());
  EXPECT_EQ(std::adjacent_find(normal.begin(), normal.end()), normal.end());
}

}  // namespace
}  // namespace mcpgw::policies
