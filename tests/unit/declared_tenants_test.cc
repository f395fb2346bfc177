// Declared tenants (Kubernetes resources): validation messages, selection,
// the tenant view, revisions, token hashes.

#include "policies/declared_tenants.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "policies/tenant_token.h"

namespace mcpgw::policies {
namespace {

using json = nlohmann::json;

json Database(const std::string& name, json spec, json labels = json::object()) {
  return {{"apiVersion", "mcp-gateway.dev/v1alpha1"},
          {"kind", "Database"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", spec}};
}

json Postgres() {
  return {{"type", "postgres"},
          {"host", "db.example"},
          {"port", 5432},
          {"database", "shop"},
          {"credentialsRef", {{"name", "shop-db"}, {"userKey", "user"}, {"passwordKey", "pw"}}}};
}

json Tenant(const std::string& name, json spec) {
  return {{"metadata", {{"name", name}}}, {"spec", spec}};
}

std::string Error(const absl::StatusOr<DatabaseResource>& parsed) {
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(DeclaredDatabaseTest, PostgresBecomesConnectionFieldsWithoutCredentials) {
  auto db = ParseDatabase(Database("shop-main", Postgres(), {{"team", "a"}}));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(db->connection.type, "postgres");
  EXPECT_EQ(db->connection.host, "db.example");
  EXPECT_EQ(db->connection.port, 5432);
  ASSERT_TRUE(db->connection.credentials);
  EXPECT_EQ(db->connection.credentials->secret, "shop-db");
  EXPECT_EQ(db->connection.credentials->user_key, "user");
  EXPECT_EQ(db->connection.credentials->password_key, "pw");
  EXPECT_EQ(db->dsn.redacted, "postgres://db.example:5432/shop");
  EXPECT_TRUE(db->dsn.secrets.empty());
  EXPECT_EQ(db->labels.at("team"), "a");
  EXPECT_EQ(SourceIdOf(db->name), "shop_main");
}

TEST(DeclaredDatabaseTest, SqliteIsAnAbsoluteFile) {
  auto db = ParseDatabase(
      Database("notes", {{"type", "sqlite"}, {"database", "/srv/notes.db"}}));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(db->dsn.scheme, "sqlite");
  EXPECT_EQ(Error(ParseDatabase(Database(
                "notes", {{"type", "sqlite"}, {"database", "notes.db"}}))),
            "spec.database: a sqlite database is an absolute file path");
  EXPECT_EQ(Error(ParseDatabase(Database(
                "notes", {{"type", "sqlite"}, {"database", "/a.db"}, {"host", "h"}}))),
            "spec.host: a sqlite database is a file: no host or port");
}

TEST(DeclaredDatabaseTest, InvalidFieldsAreNamed) {
  auto with = [](const char* field, json value) {
    json spec = Postgres();
    spec[field] = value;
    return Error(ParseDatabase(Database("shop", spec)));
  };
  EXPECT_EQ(with("type", "oracle"),
            "spec.type: must be one of postgres, mysql, mariadb, sqlserver, sqlite");
  EXPECT_EQ(with("port", 70000), "spec.port: must be an integer from 1 to 65535");
  EXPECT_EQ(with("port", "5432"), "spec.port: must be an integer from 1 to 65535");
  EXPECT_EQ(with("sslMode", "prefer"),
            "spec.sslMode: must be disable, require, verify-ca or verify-full");
  EXPECT_EQ(with("queryTimeout", 0), "spec.queryTimeout: must be an integer from 1 to 3600");
  EXPECT_EQ(with("readonly", "yes"), "spec.readonly: must be true or false");
  EXPECT_EQ(with("host", "a b"), "spec.host: is not a host name or address");
  // DBHub fills ${VAR} from the pod's environment: never in a field.
  EXPECT_EQ(with("database", "${DBHUB_AUTH_TOKEN}"), "spec.database: may not contain ${");
  json no_credentials = Postgres();
  no_credentials.erase("credentialsRef");
  EXPECT_EQ(Error(ParseDatabase(Database("shop", no_credentials))),
            "spec.credentialsRef: is required for postgres (the Secret with its "
            "user and password)");
  EXPECT_EQ(Error(ParseDatabase(Database("a.b", Postgres()))).substr(0, 15),
            "metadata.name: ");
}

TEST(DeclaredTenantTest, ParsesPolicyLimitsAndAuth) {
  auto tenant = ParseTenant(Tenant(
      "acme", {{"databaseSelector", {{"matchLabels", {{"tenant", "acme"}}},
                                     {"names", {"extra"}}}},
               {"defaultPolicy", {{"readonly", true}, {"maxRows", 100}}},
               {"limits", {{"instances", 2}, {"ratePerSecond", 5}, {"rateBurst", 10}}},
               {"auth", {{"tokenSecretRef", {{"name", "acme-tokens"}}},
                         {"oidcClaimValue", "acme"}}}}));
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  EXPECT_TRUE(tenant->options.readonly);
  EXPECT_EQ(tenant->options.max_rows, 100);
  EXPECT_EQ(tenant->options.max_instances, 2);
  EXPECT_EQ(tenant->options.rate_per_second, 5);
  EXPECT_EQ(tenant->options.rate_burst, 10);
  EXPECT_EQ(tenant->token_secret, "acme-tokens");
  EXPECT_EQ(tenant->oidc_claim, "acme");
}

TEST(DeclaredTenantTest, InvalidTenantsAreNamed) {
  auto error = [](json spec, const std::string& name = "acme") {
    auto parsed = ParseTenant(Tenant(name, spec));
    return parsed.ok() ? "" : std::string(parsed.status().message());
  };
  EXPECT_EQ(error(json::object()),
            "spec.databaseSelector: is required: matchLabels and/or names");
  EXPECT_EQ(error({{"databaseSelector", json::object()}}),
            "spec.databaseSelector: selects nothing: give matchLabels or names");
  EXPECT_EQ(error({{"databaseSelector", {{"names", {"a"}}}},
                   {"defaultPolicy", {{"maxRows", -1}}}}),
            "spec.defaultPolicy.maxRows: must be an integer from 1 to 1000000000");
  EXPECT_EQ(error({{"databaseSelector", {{"names", {"a"}}}},
                   {"limits", {{"ratePerSecond", 0}}}}),
            "spec.limits.ratePerSecond: must be a number above 0");
  EXPECT_EQ(error({{"databaseSelector", {{"names", {"a"}}}}}, "Acme.x"),
            "metadata.name: a tenant id is 1 to 64 characters of a-z, 0-9, '-' and '_'");
}

TEST(DeclaredTenantTest, SelectsByNameOrByAllLabels) {
  auto a = *ParseDatabase(Database("a", Postgres(), {{"tenant", "acme"}, {"env", "prod"}}));
  auto b = *ParseDatabase(Database("b", Postgres(), {{"tenant", "acme"}}));
  auto c = *ParseDatabase(Database("c", Postgres()));
  auto by_labels = *ParseTenant(Tenant(
      "acme", {{"databaseSelector", {{"matchLabels", {{"tenant", "acme"}, {"env", "prod"}}}}}}));
  EXPECT_TRUE(Selects(by_labels, a));
  EXPECT_FALSE(Selects(by_labels, b));
  EXPECT_FALSE(Selects(by_labels, c));
  auto by_name = *ParseTenant(Tenant("acme", {{"databaseSelector", {{"names", {"c"}}}}}));
  EXPECT_FALSE(Selects(by_name, a));
  EXPECT_TRUE(Selects(by_name, c));
}

TEST(DeclaredTenantTest, ViewAndRevisionFollowEverythingThatShapesTheInstance) {
  auto tenant = *ParseTenant(Tenant("acme", {{"databaseSelector", {{"names", {"shop", "notes"}}}}}));
  std::vector<DatabaseResource> dbs = {
      *ParseDatabase(Database("shop", Postgres())),
      *ParseDatabase(Database("notes", {{"type", "sqlite"}, {"database", "/srv/n.db"}})),
      *ParseDatabase(Database("other", Postgres()))};
  std::map<std::string, std::string, std::less<>> versions = {{"shop-db", "10"}};
  const auto base = BuildDeclaredTenant(tenant, dbs, versions);
  EXPECT_EQ(base.databases, (std::vector<std::string>{"notes", "shop"}));
  ASSERT_EQ(base.view.sources.size(), 2u);
  EXPECT_EQ(base.view.sources[0].id, "notes");
  ASSERT_TRUE(base.view.sources[1].connection);
  EXPECT_GT(base.view.revision, 0);
  EXPECT_LT(base.view.revision, std::int64_t{1} << 48);
  // Deterministic: every replica computes the same.
  EXPECT_EQ(BuildDeclaredTenant(tenant, dbs, versions).view.revision, base.view.revision);

  auto rotated = versions;
  rotated["shop-db"] = "11";
  EXPECT_NE(BuildDeclaredTenant(tenant, dbs, rotated).view.revision, base.view.revision);
  // Another Secret changing changes nothing.
  auto unrelated = versions;
  unrelated["elsewhere"] = "3";
  EXPECT_EQ(BuildDeclaredTenant(tenant, dbs, unrelated).view.revision, base.view.revision);

  auto readonly = tenant;
  readonly.options.readonly = true;
  EXPECT_NE(BuildDeclaredTenant(readonly, dbs, versions).view.revision, base.view.revision);

  auto edited = dbs;
  edited[0].connection.query_timeout_seconds = 5;
  EXPECT_NE(BuildDeclaredTenant(tenant, edited, versions).view.revision, base.view.revision);

  auto fewer = dbs;
  fewer.erase(fewer.begin() + 1);
  const auto without_notes = BuildDeclaredTenant(tenant, fewer, versions);
  EXPECT_EQ(without_notes.databases, (std::vector<std::string>{"shop"}));
  EXPECT_NE(without_notes.view.revision, base.view.revision);
}

TEST(DeclaredTenantTest, TokenHashesFromTheSecret) {
  const std::string hash = TenantTokenHash("s3cret-token");
  EXPECT_EQ(hash.size(), 64u);
  const std::string other = TenantTokenHash("other");
  json data = {{"laptop", absl::Base64Escape(hash)},
               {"ci", absl::Base64Escape(other + "\n" + hash + "\n")},
               {"oops", absl::Base64Escape("not a hash")}};
  const auto parsed = ParseTokenHashes(data);
  EXPECT_EQ(parsed.hashes.size(), 3u);
  EXPECT_EQ(parsed.bad_keys, (std::vector<std::string>{"oops"}));
}

}  // namespace
}  // namespace mcpgw::policies
