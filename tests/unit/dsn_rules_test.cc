#include "policies/dsn_rules.h"

#include <gtest/gtest.h>

namespace mcpgw::policies {
namespace {

namespace ip = boost::asio::ip;

Dsn Parse(std::string_view text) { return *ParseDsn(text); }

DsnPolicy Make(DsnRules rules) {
  auto policy = DsnPolicy::Create(std::move(rules));
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

TEST(DsnRules, MetadataAddressIsDeniedByDefault) {
  const DsnPolicy policy = Make({});
  auto refused = policy.CheckDsn(Parse("postgres://u:p@169.254.169.254:5432/db"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 403);
  EXPECT_EQ(refused->rpc_code, rpc_code::kForbidden);
  EXPECT_NE(refused->message.find("deny-host"), std::string::npos);
  EXPECT_EQ(refused->message.find(":p@"), std::string::npos);
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@[fe80::1]:5432/db")));
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@metadata.google.internal/db")));
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@127.0.0.1:5432/db")));
}

TEST(DsnRules, DefaultConstructedPolicyStillDeniesMetadata) {
  const DsnPolicy policy;
  EXPECT_TRUE(policy.CheckDsn(Parse("mysql://u:p@169.254.169.254/db")));
}

TEST(DsnRules, ResolvedAddressesAreCheckedToo) {
  const DsnPolicy policy = Make({});
  const std::vector<ip::address> metadata = {ip::make_address("10.0.0.5"),
                                             ip::make_address("169.254.169.254")};
  auto refused = policy.CheckAddresses("innocent.example", metadata);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 403);
  // IPv4-mapped IPv6 does not slip past an IPv4 rule.
  EXPECT_TRUE(policy.CheckAddresses(
      "x", {ip::make_address("::ffff:169.254.169.254")}));
  EXPECT_FALSE(policy.CheckAddresses("x", {ip::make_address("10.0.0.5")}));
  EXPECT_TRUE(policy.CheckAddresses("x", {}));  // unresolvable: refused
}

TEST(DsnRules, SchemesOutsideTheAllowListAreRefused) {
  const DsnPolicy policy = Make({.allowed_schemes = {"postgres"}});
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@db/x")));
  auto refused = policy.CheckDsn(Parse("sqlite:///tmp/x.db"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->message.find("allow-schemes"), std::string::npos);
  EXPECT_FALSE(DsnPolicy::Create({.allowed_schemes = {"gopher"}}).ok());
}

TEST(DsnRules, SqliteFilesOutsideTheSqliteDirAreRefused) {
  const DsnPolicy policy = Make({.sqlite_dir = "/srv/dbs"});
  EXPECT_FALSE(policy.CheckDsn(Parse("sqlite:///srv/dbs/a.db")));
  EXPECT_FALSE(policy.CheckDsn(Parse("sqlite:///:memory:")));
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@db/x")));  // not a file
  for (const char* outside :
       {"sqlite:///etc/passwd", "sqlite:///srv/dbs/../secret.db",
        "sqlite:///srv/dbs/%2e%2e/secret.db", "sqlite:///srv/dbsx/a.db",
        "sqlite:///srv/dbs"}) {
    auto dsn = ParseDsn(outside);
    if (!dsn.ok()) continue;  // refused earlier, by the parser: also fine
    auto refused = policy.CheckDsn(*dsn);
    ASSERT_TRUE(refused.has_value()) << outside;
    EXPECT_EQ(refused->http_status, 403);
    EXPECT_EQ(refused->rpc_code, rpc_code::kForbidden);
    EXPECT_NE(refused->message.find("sqlite-dir"), std::string::npos);
    // Neither the DSN nor the path it names comes back.
    EXPECT_EQ(refused->message.find("/srv"), std::string::npos) << outside;
  }
  // Without the rule, any file.
  EXPECT_FALSE(Make({}).CheckDsn(Parse("sqlite:///etc/passwd")));
  EXPECT_FALSE(DsnPolicy::Create({.sqlite_dir = "relative/dir"}).ok());
}

TEST(DsnRules, AllowListByNameAndCidr) {
  const DsnPolicy policy =
      Make({.allow_hosts = {"*.corp.example", "10.0.0.0/8"}});
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@db.corp.example/x")));
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@10.1.2.3/x")));
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@192.168.1.1/x")));
  // A name no name entry allows is decided on its addresses.
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@other.example/x")));
  EXPECT_FALSE(policy.CheckAddresses("other.example", {ip::make_address("10.9.9.9")}));
  EXPECT_TRUE(policy.CheckAddresses("other.example", {ip::make_address("8.8.8.8")}));
  // File-based DSNs have no host.
  EXPECT_FALSE(policy.CheckDsn(Parse("sqlite:///tmp/x.db")));
}

TEST(DsnRules, NameOnlyAllowListRefusesOtherNames) {
  const DsnPolicy policy = Make({.allow_hosts = {"db.internal"}});
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@db.internal/x")));
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@db.external/x")));
}

TEST(DsnRules, ExtraDenyEntries) {
  const DsnPolicy policy = Make({.deny_hosts = {"10.0.0.0/8", "bad.example"}});
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@10.1.1.1/x")));
  EXPECT_TRUE(policy.CheckDsn(Parse("postgres://u:p@BAD.example/x")));
  EXPECT_FALSE(policy.CheckDsn(Parse("postgres://u:p@good.example/x")));
}

TEST(DsnRules, BadEntriesAreConfigurationErrors) {
  EXPECT_FALSE(DsnPolicy::Create({.allow_hosts = {"10.0.0.0/33"}}).ok());
  EXPECT_FALSE(DsnPolicy::Create({.deny_hosts = {"not a host"}}).ok());
  EXPECT_FALSE(DsnPolicy::Create({.deny_hosts = {"a*.example"}}).ok());
}

TEST(DsnRules, LengthBound) {
  const DsnPolicy policy = Make({.max_length = 40});
  EXPECT_FALSE(policy.CheckText("postgres://u:p@h/db"));
  auto refused = policy.CheckText(std::string(41, 'x'));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 400);
  EXPECT_NE(refused->message.find("max-dsn-length"), std::string::npos);
}

}  // namespace
}  // namespace mcpgw::policies
