// The state directory refused in every spelling (policies/sqlite_path and
// the state-dir DSN rule): percent-encoding, dot segments, hosts, query
// options, symbolic links and files that do not exist yet, resolved against
// a real directory tree.

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "policies/dsn.h"
#include "policies/dsn_rules.h"
#include "policies/sqlite_path.h"

namespace mcpgw::policies {
namespace {

namespace fs = std::filesystem;

class StateDirRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/state-dir-refusal-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    state_ = root_ / "state";
    fs::create_directories(state_);
    std::ofstream(state_ / "tenants.db") << "registry";
    fs::create_directories(root_ / "db");
    fs::create_directory_symlink(state_, root_ / "db" / "to-state");
    fs::create_symlink("../state/tenants.db", root_ / "db" / "relative-link.db");
    fs::create_directory_symlink(root_ / "db", root_ / "db" / "self");
    auto policy = DsnPolicy::Create({.protected_dirs = {state_}});
    ASSERT_TRUE(policy.ok());
    policy_ = *std::move(policy);
  }
  void TearDown() override { fs::remove_all(root_); }

  bool Refused(const std::string& dsn_text) {
    auto dsn = ParseDsn(dsn_text);
    if (!dsn.ok()) return true;  // malformed: never opened either
    auto refused = policy_.CheckDsn(*dsn);
    if (!refused) return false;
    EXPECT_EQ(refused->http_status, 403);
    EXPECT_EQ(refused->message.find(state_.string()), std::string::npos);
    EXPECT_EQ(refused->message.find("tenants.db"), std::string::npos);
    return true;
  }

  fs::path root_;
  fs::path state_;
  DsnPolicy policy_;
};

TEST_F(StateDirRefusalTest, EverySpellingOfTheStateDirectoryIsRefused) {
  const std::string s = state_.string();
  const std::string r = root_.string();
  for (const std::string& dsn : {
           "sqlite://" + s + "/tenants.db",
           "sqlite://" + s + "/not-yet.db",
           "sqlite://" + s + "/sub/dir/not-yet.db",
           "sqlite://" + s,
           "sqlite://" + s + "/",
           "sqlite://" + s + "/./tenants.db",
           "sqlite://" + r + "/db/../state/tenants.db",
           "sqlite://" + r + "/%73tate/tenants.db",
           "sqlite://" + r + "/db/%2e%2e/state/tenants.db",
           "sqlite://" + s + "/tenants.db?mode=ro",
           "SQLITE://" + s + "/tenants.db",
           "sqlite://localhost" + s + "/tenants.db",
           "sqlite:////../../../../../../.." + s + "/tenants.db",
           "sqlite://" + r + "/db/to-state/tenants.db",
           "sqlite://" + r + "/db/to-state/new.db",
           "sqlite://" + r + "/db/relative-link.db",
           "sqlite://" + r + "/db/self/self/to-state/x.db",
           "sqlite://" + r + "/db/to-state/../state/tenants.db",
       }) {
    EXPECT_TRUE(Refused(dsn)) << dsn;
  }
}

TEST_F(StateDirRefusalTest, FilesBesideTheStateDirectoryAreNot) {
  const std::string r = root_.string();
  for (const std::string& dsn : {
           "sqlite://" + r + "/db/people.db",
           "sqlite://" + r + "/state-other/x.db",
           "sqlite://" + r + "/db/self/people.db",
           std::string("sqlite:///:memory:"),
           std::string("postgres://u:p@db.example:5432/x"),
       }) {
    EXPECT_FALSE(Refused(dsn)) << dsn;
  }
}

TEST_F(StateDirRefusalTest, ResolveAsOpenedFollowsLinksThenDotDot) {
  // The kernel resolves a link before the `..` that follows it: the
  // lexical answer would be root_/db.
  EXPECT_EQ(ResolveAsOpened(root_ / "db" / "to-state" / ".." / "state"), state_);
  EXPECT_EQ(ResolveAsOpened(root_ / "db" / "relative-link.db"), state_ / "tenants.db");
  EXPECT_EQ(ResolveAsOpened(root_ / "db" / "missing" / ".." / "x"), root_ / "db" / "x");
  EXPECT_EQ(ResolveAsOpened("/../.." / root_.relative_path()), root_);
}

TEST(PathInsideOrAtTest, ComparesWholeComponents) {
  EXPECT_TRUE(PathInsideOrAt("/srv/state", "/srv/state"));
  EXPECT_TRUE(PathInsideOrAt("/srv/state/tenants.db", "/srv/state"));
  EXPECT_TRUE(PathInsideOrAt("/srv/state/a/b.db", "/srv/state/"));
  EXPECT_TRUE(PathInsideOrAt("/srv//state/a.db", "/srv/state"));
  EXPECT_TRUE(PathInsideOrAt("/srv/state/a.db", "//srv/state"));
  EXPECT_TRUE(PathInsideOrAt("/anything.db", "/"));
  // A name that only begins like the directory's is beside it.
  EXPECT_FALSE(PathInsideOrAt("/srv/state-old/a.db", "/srv/state"));
  EXPECT_FALSE(PathInsideOrAt("/srv/stat", "/srv/state"));
  EXPECT_FALSE(PathInsideOrAt("/srv", "/srv/state"));
  EXPECT_FALSE(PathInsideOrAt("/srv/", "/srv/state"));
  EXPECT_FALSE(PathInsideOrAt("/other/state/a.db", "/srv/state"));
  // Relative and absolute never meet.
  EXPECT_FALSE(PathInsideOrAt("srv/state/a.db", "/srv/state"));
  EXPECT_FALSE(PathInsideOrAt("/srv/state/a.db", "srv/state"));
}

TEST(SqliteFilePathTest, IsThePathDbhubOpens) {
  EXPECT_EQ(SqliteFilePath("sqlite:///data/a.db"), fs::path("/data/a.db"));
  EXPECT_EQ(SqliteFilePath("sqlite:///data/a.db?mode=ro"), fs::path("/data/a.db"));
  EXPECT_EQ(SqliteFilePath("sqlite://host/data/a.db"), fs::path("/data/a.db"));
  EXPECT_FALSE(SqliteFilePath("sqlite:///:memory:").has_value());
  EXPECT_FALSE(SqliteFilePath("sqlite:////relative.db").has_value());
  EXPECT_FALSE(SqliteFilePath("postgres://h/db").has_value());
}

}  // namespace
}  // namespace mcpgw::policies
