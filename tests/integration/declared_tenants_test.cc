// Tenants declared as Kubernetes resources (--tenants-from=kubernetes;
// kubernetes.* runs only): a Secret, two Databases (PostgreSQL on this
// machine, SQLite on the shared volume) and a Tenant applied with kubectl
// serve a tenant token; edits and a rotated Secret give new revisions; a
// deleted Tenant is refused; no credential shows in any pod, event, the
// resources' status or the gateway's log.

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/mcp_client.h"
#include "test_support/postgres_server.h"
#include "test_support/process.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kUnauthorized = policies::rpc_code::kUnauthorized;
constexpr auto kSeen = 60s;  // the gateway's watch reports a change well within

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

class DeclaredTenantsTest : public GatewayTest {
 protected:
  static std::string Ns() { return TestKubeNamespace(); }
  static std::string TenantPath(const std::string& name) {
    return "/apis/mcp-gateway.dev/v1alpha1/namespaces/" + Ns() + "/tenants/" + name;
  }
  static std::string DatabasePath(const std::string& name) {
    return "/apis/mcp-gateway.dev/v1alpha1/namespaces/" + Ns() + "/databases/" + name;
  }
  CommandResult Kubectl(std::vector<std::string> args) {
    SpawnSpec spec;
    spec.argv = {"bash", MCP_GATEWAY_SOURCE_DIR "/tests/kubernetes/cluster.sh",
                 "kubectl",
                 std::filesystem::path(TestKubeconfig()).parent_path().string(),
                 "-n", Ns()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    return RunCommand(spec, 60s);
  }
  // Each test's objects carry a label of its own: ctest runs two tests at
  // once in the namespace, and one's clean-up must not take the other's.
  static std::string Label() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void Apply(std::string yaml) {
    for (auto at = yaml.find("mcpgw-test: declared"); at != std::string::npos;
         at = yaml.find("mcpgw-test: declared", at + 1)) {
      yaml.replace(at, std::string("mcpgw-test: declared").size(), "mcpgw-test: " + Label());
    }
    const auto file = temp().path() / ("apply-" + std::to_string(++applied_) + ".yaml");
    std::ofstream(file) << yaml;
    const auto result = Kubectl({"apply", "-f", file.string()});
    ASSERT_TRUE(result.ok()) << result.Describe();
  }
  void Clean() {
    Kubectl({"delete", "tenants.mcp-gateway.dev,databases.mcp-gateway.dev", "-l",
             "mcpgw-test=" + Label(), "--wait=true"});
    Kubectl({"delete", "secret", "-l", "mcpgw-test=" + Label(), "--wait=true"});
  }
  void SetUp() override { Clean(); }
  void TearDown() override {
    GatewayTest::TearDown();
    Clean();
  }

  // The Tenant's status.revision once the gateway has written one that is
  // not `before` (0: none yet); 0 when it does not come.
  std::int64_t WaitForRevision(const std::string& tenant, std::int64_t before) {
    std::int64_t revision = 0;
    WaitUntil(
        [&] {
          const json object = KubeGet(TenantPath(tenant));
          const json status = object.is_object() ? object.value("status", json::object())
                                                 : json::object();
          revision = status.value("revision", std::int64_t{0});
          return revision != 0 && revision != before;
        },
        kSeen);
    return revision != before ? revision : 0;
  }

  HttpResponse TenantCall(const std::string& token, const std::string& method,
                          json params = json::object()) {
    HttpRequest request;
    request.method = "POST";
    request.url = gateway().mcp_url();
    request.headers = {"Content-Type: application/json",
                       "Accept: application/json, text/event-stream",
                       "Authorization: Bearer " + token};
    request.body = json{{"jsonrpc", "2.0"},
                        {"id", ++next_id_},
                        {"method", method},
                        {"params", std::move(params)}}
                       .dump();
    return http_.Send(request);
  }
  HttpResponse TenantSql(const std::string& token, const std::string& tool,
                         const std::string& sql) {
    return TenantCall(token, "tools/call", {{"name", tool}, {"arguments", {{"sql", sql}}}});
  }

  HttpClient http_;
  int next_id_ = 0;
  int applied_ = 0;
};

TEST_F(DeclaredTenantsTest, KubectlDeclaredTenantServesEditsRotatesAndIsDeleted) {
  auto& postgres = SharedPostgres();
  const std::string token = "declared-tenant-token-0123456789";
  const std::string people_dsn = NewSqliteDsn("declared.db");
  const std::string people_file = people_dsn.substr(std::string("sqlite://").size());
  Apply(R"(apiVersion: v1
kind: Secret
metadata: {name: decl-pg, labels: {mcpgw-test: declared}}
stringData: {username: )" + std::string(PostgresServer::kUser) +
        R"(, password: ")" + PostgresServer::kPassword + R"("}
---
apiVersion: v1
kind: Secret
metadata: {name: decl-tokens, labels: {mcpgw-test: declared}}
stringData: {ci: ")" + Sha256Hex(token) + R"("}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Database
metadata: {name: shop, labels: {mcpgw-test: declared, tenant: decl}}
spec:
  type: postgres
  host: ")" + KubeNodeIp() + R"("
  port: )" + std::to_string(postgres.port()) + R"(
  database: shop
  sslMode: disable
  credentialsRef: {name: decl-pg}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Database
metadata: {name: people, labels: {mcpgw-test: declared}}
spec: {type: sqlite, database: ")" + people_file + R"("}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Tenant
metadata: {name: decl, labels: {mcpgw-test: declared}}
spec:
  databaseSelector:
    matchLabels: {tenant: decl}
    names: [people]
  auth: {tokenSecretRef: {name: decl-tokens}}
)");
  StartGateway({"--tenants-from=kubernetes", "--start-timeout=60s"});

  // Served: both databases, through one instance.
  const std::int64_t first = WaitForRevision("decl", 0);
  ASSERT_NE(first, 0) << KubeGet(TenantPath("decl")).dump();
  const json status = KubeGet(TenantPath("decl"))["status"];
  EXPECT_EQ(status["databases"], json::array({"people", "shop"}));
  EXPECT_EQ(KubeGet(DatabasePath("shop"))["status"]["phase"], "Pending");
  const auto products = TenantSql(token, "execute_sql_shop", kProductsQuery);
  ASSERT_EQ(products.status, 200) << products.Describe();
  EXPECT_EQ(ExecuteSqlRows(products), ProductsRows());
  const auto people = TenantSql(token, "execute_sql_people", kPeopleQuery);
  ASSERT_EQ(people.status, 200) << people.Describe();
  EXPECT_EQ(ExecuteSqlRows(people), PeopleRows());
  const auto write = TenantSql(token, "execute_sql_people", "DELETE FROM people WHERE 1 = 0");
  EXPECT_EQ(write.body.find("READONLY_VIOLATION"), std::string::npos) << write.body;

  // The admin API lists it, and refuses to change it.
  const auto listed = Admin("GET", "/admin/tenants/decl");
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  EXPECT_EQ(json::parse(listed.body)["revision"], first);
  const auto refused = Admin("DELETE", "/admin/tenants/decl");
  EXPECT_EQ(refused.status, 409) << refused.Describe();
  EXPECT_NE(refused.body.find("kubectl"), std::string::npos) << refused.body;

  // readonly edited on the Tenant: the next request has it.
  ASSERT_TRUE(Kubectl({"patch", "tenants.mcp-gateway.dev", "decl", "--type=merge", "-p",
                     R"({"spec":{"defaultPolicy":{"readonly":true}}})"})
                 .ok());
  const std::int64_t second = WaitForRevision("decl", first);
  ASSERT_NE(second, 0);
  const auto readonly = TenantSql(token, "execute_sql_people", "DELETE FROM people WHERE 1 = 0");
  EXPECT_NE(readonly.body.find("READONLY_VIOLATION"), std::string::npos) << readonly.body;

  // The credentials Secret rotated (same password, new version): a new
  // revision, whose pod reads the Secret afresh.
  ASSERT_TRUE(Kubectl({"patch", "secret", "decl-pg", "--type=merge", "-p",
                     R"({"stringData":{"rotated":"1"}})"})
                 .ok());
  const std::int64_t third = WaitForRevision("decl", second);
  ASSERT_NE(third, 0);
  const auto after_rotation = TenantSql(token, "execute_sql_shop", kProductsQuery);
  ASSERT_EQ(after_rotation.status, 200) << after_rotation.Describe();
  EXPECT_EQ(ExecuteSqlRows(after_rotation), ProductsRows());
  const std::string instance = KubeGet(TenantPath("decl"))["status"]["instance"];
  EXPECT_TRUE(KubeGet("/api/v1/namespaces/" + Ns() + "/pods/" + instance).is_object());

  // No credential anywhere: pods, events, the resources, the log.
  const std::string password = PostgresServer::kPassword;
  EXPECT_TRUE(DoesNotContain(KubeGet("/api/v1/namespaces/" + Ns() + "/pods").dump(), password));
  EXPECT_TRUE(
      DoesNotContain(KubeGet("/api/v1/namespaces/" + Ns() + "/events").dump(), password));
  EXPECT_TRUE(DoesNotContain(KubeGet(TenantPath("decl")).dump(), password));
  EXPECT_TRUE(DoesNotContain(KubeGet(DatabasePath("shop")).dump(), password));
  EXPECT_TRUE(DoesNotContain(AllGatewayOutput(), password));
  EXPECT_TRUE(DoesNotContain(AllGatewayOutput(), token));

  // Deleted: the gateway's listing drops it, and its token is refused.
  ASSERT_TRUE(Kubectl({"delete", "tenants.mcp-gateway.dev", "decl", "--wait=true"}).ok());
  ASSERT_TRUE(WaitUntil([&] { return Admin("GET", "/admin/tenants/decl").status == 404; },
                        kSeen));
  const auto gone = TenantCall(token, "tools/list");
  EXPECT_EQ(gone.status, 401) << gone.Describe();
  EXPECT_EQ(JsonRpcErrorCode(gone), kUnauthorized) << gone.body;
  StopGatewayAndExpectCleanExit();
}

TEST_F(DeclaredTenantsTest, InvalidDatabaseGetsAFailedStatusAndOthersAreServed) {
  // What the schema cannot know: the Secret it names does not exist.
  Apply(R"(apiVersion: mcp-gateway.dev/v1alpha1
kind: Database
metadata: {name: orphan, labels: {mcpgw-test: declared}}
spec:
  type: postgres
  host: db.invalid
  database: x
  credentialsRef: {name: decl-missing}
)");
  StartGateway({"--tenants-from=kubernetes"});
  json database;
  ASSERT_TRUE(WaitUntil(
      [&] {
        database = KubeGet(DatabasePath("orphan"));
        return database.is_object() &&
               database.value("status", json::object()).value("phase", "") == "Failed";
      },
      kSeen))
      << database.dump();
  EXPECT_EQ(database["status"]["conditions"][0]["message"],
            "the Secret decl-missing (spec.credentialsRef.name) does not exist");
  // The gateway goes on serving.
  EXPECT_EQ(Admin("GET", "/admin/tenants").status, 200);
  StopGatewayAndExpectCleanExit();
}

}  // namespace
}  // namespace mcpgw::it
