// Tenants and policies end to end: tenant tokens reach one DBHub serving
// all of the tenant's databases (SQLite and PostgreSQL), registry edits take
// effect live, and the policies refuse what they should, before any spawn.

#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "policies/target.h"
#include "test_support/gateway_fixture.h"
#include "test_support/postgres_server.h"
#include "test_support/scoped_env.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

constexpr int kUnauthorized = rpc_code::kUnauthorized;
constexpr int kRateLimited = rpc_code::kRateLimited;
constexpr int kForbidden = rpc_code::kForbidden;

// Every scenario runs on both runtimes: on the docker runtime the instance's
// DBHub config is mounted into its container (runtime/docker_runtime.cc).
class TenantsTest : public GatewayTest {
 protected:
  // An admin call with a JSON body.
  HttpResponse AdminJson(const std::string& method, const std::string& path,
                         const nlohmann::json& body) {
    return AdminRequest(admin_http_, gateway().admin_port(), AdminToken(), method,
                        path, body);
  }

  // Creates a tenant with `sources` ({id: dsn}) and returns a fresh token.
  std::string CreateTenant(const std::string& id, const nlohmann::json& sources,
                           const nlohmann::json& options = nlohmann::json::object()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [source, dsn] : sources.items()) {
      list.push_back({{"id", source}, {"dsn", dsn}});
    }
    auto created = AdminJson("POST", "/admin/tenants",
                             {{"id", id}, {"options", options}, {"sources", list}});
    EXPECT_EQ(created.status, 201) << created.Describe();
    auto issued = AdminJson("POST", "/admin/tenants/" + id + "/tokens",
                            {{"label", "test"}});
    EXPECT_EQ(issued.status, 201) << issued.Describe();
    auto body = nlohmann::json::parse(issued.body, nullptr, false);
    last_token_id_ = body.value("id", "");
    return body.value("token", "");
  }

  HttpResponse TenantCall(const std::string& token, const std::string& method,
                          nlohmann::json params = nlohmann::json::object()) {
    HttpRequest request;
    request.method = "POST";
    request.url = gateway().mcp_url();
    request.headers = {"Content-Type: application/json",
                       "Accept: application/json, text/event-stream",
                       "Authorization: Bearer " + token};
    request.body = nlohmann::json{{"jsonrpc", "2.0"},
                                  {"id", ++next_id_},
                                  {"method", method},
                                  {"params", std::move(params)}}
                       .dump();
    return mcp_http_.Send(request);
  }
  HttpResponse TenantSql(const std::string& token, const std::string& tool,
                         const std::string& sql) {
    return TenantCall(token, "tools/call",
                      {{"name", tool}, {"arguments", {{"sql", sql}}}});
  }

  std::string last_token_id_;
  HttpClient admin_http_;
  HttpClient mcp_http_;
  int next_id_ = 0;
};

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

bool HasTool(const HttpResponse& response, const std::string& name) {
  for (const auto& tool : ToolNames(response)) {
    if (tool == name) return true;
  }
  return false;
}

TEST_F(TenantsTest, TokenReachesItsTenantsSqliteAndPostgresDatabases) {
  auto& postgres = SharedPostgres();
  StartGateway();
  const std::string token = CreateTenant(
      "acme", {{"people", NewSqliteDsn("acme.db")}, {"shop", postgres.Dsn()}});
  ASSERT_FALSE(token.empty());

  const auto tools = TenantCall(token, "tools/list");
  ASSERT_EQ(tools.status, 200) << tools.Describe();
  EXPECT_TRUE(HasTool(tools, "execute_sql_people")) << tools.body;
  EXPECT_TRUE(HasTool(tools, "execute_sql_shop")) << tools.body;

  const auto people = TenantSql(token, "execute_sql_people", kPeopleQuery);
  ASSERT_EQ(people.status, 200) << people.Describe();
  EXPECT_EQ(ExecuteSqlRows(people), PeopleRows());
  const auto products = TenantSql(token, "execute_sql_shop", kProductsQuery);
  ASSERT_EQ(products.status, 200) << products.Describe();
  EXPECT_EQ(ExecuteSqlRows(products), ProductsRows());

  // One instance serves both, labelled with its tenant.
  const auto instances = Instances();
  ASSERT_EQ(instances.instances.size(), 1u);
  EXPECT_EQ(instances.instances[0].raw.value("tenant", ""), "acme");
  EXPECT_EQ(Instances("?tenant=acme").instances.size(), 1u);
  EXPECT_EQ(Instances("?tenant=other").instances.size(), 0u);
  StopGatewayAndExpectCleanExit();
}

// Every field the tenant API reads, with a wrong type: 400 with a JSON
// error naming it (a numeric id used to throw inside the gateway: the
// admin client got its connection closed). Nothing half-made is left.
TEST_F(TenantsTest, AdminBodiesWithFieldsOfTheWrongTypeAre400NamingTheField) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("fields.db");
  struct Case {
    std::string method, path;
    nlohmann::json body;
    std::string names;
  };
  const std::vector<Case> cases = {
      {"POST", "/admin/tenants", {{"id", 5}}, "id must be a string"},
      {"POST", "/admin/tenants", {{"id", nullptr}}, "id must be a string"},
      {"POST", "/admin/tenants", {{"id", "acme"}, {"options", "ro"}},
       "options must be a JSON object"},
      {"POST", "/admin/tenants", {{"id", "acme"}, {"sources", {{"a", 1}}}},
       "sources must be an array"},
      {"POST", "/admin/tenants", {{"id", "acme"}, {"sources", {1}}},
       "sources[0] must be an object"},
      {"POST", "/admin/tenants",
       {{"id", "acme"}, {"sources", {{{"id", 7}, {"dsn", dsn}}}}},
       "sources[0].id must be a string"},
      {"POST", "/admin/tenants",
       {{"id", "acme"}, {"sources", {{{"id", "main"}, {"dsn", {1, 2}}}}}},
       "sources[0].dsn must be a string"},
      {"POST", "/admin/tenants", nlohmann::json::array({1}),
       "the body must be a JSON object"},
      {"PATCH", "/admin/tenants/acme", {{"options", {1}}},
       "options must be a JSON object"},
      {"PUT", "/admin/tenants/acme/sources/main", {{"dsn", false}},
       "dsn must be a string"},
      {"POST", "/admin/tenants/acme/tokens", {{"label", 3.5}},
       "label must be a string"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path + " " + c.body.dump());
    const auto answer = AdminJson(c.method, c.path, c.body);
    EXPECT_EQ(answer.status, 400) << answer.Describe();
    const auto json = nlohmann::json::parse(answer.body, nullptr, false);
    ASSERT_TRUE(json.is_object() && json.contains("error")) << answer.Describe();
    EXPECT_EQ(json["error"].value("code", ""), "bad_request");
    EXPECT_NE(json["error"].value("message", "").find(c.names), std::string::npos)
        << answer.Describe();
  }
  // Nothing was created; a good body still works; no handler threw.
  EXPECT_EQ(Admin("GET", "/admin/tenants/acme").status, 404);
  EXPECT_FALSE(CreateTenant("acme", {{"main", dsn}}).empty());
  EXPECT_EQ(AllGatewayOutput().find("internal error"), std::string::npos);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, RevokedTokenIsRefused) {
  StartGateway();
  const std::string token = CreateTenant("acme", {{"people", NewSqliteDsn("a.db")}});
  ASSERT_EQ(TenantCall(token, "tools/list").status, 200);
  const auto revoked =
      Admin("DELETE", "/admin/tenants/acme/tokens/" + last_token_id_);
  ASSERT_EQ(revoked.status, 200) << revoked.Describe();

  const auto refused = TenantCall(token, "tools/list");
  EXPECT_EQ(refused.status, 401) << refused.Describe();
  EXPECT_EQ(JsonRpcErrorCode(refused), kUnauthorized);
  EXPECT_EQ(refused.body.find(token), std::string::npos);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, TenantCannotReachAnotherTenantsDatabases) {
  StartGateway();
  const std::string a = CreateTenant("alpha", {{"alpha_db", NewSqliteDsn("alpha.db")}});
  const std::string b = CreateTenant("beta", {{"beta_db", NewSqliteDsn("beta.db")}});

  const auto alpha_tools = TenantCall(a, "tools/list");
  ASSERT_EQ(alpha_tools.status, 200) << alpha_tools.Describe();
  // One source: DBHub names the tool plainly; nothing of beta's shows.
  EXPECT_EQ(alpha_tools.body.find("beta"), std::string::npos);
  const auto beta_tools = TenantCall(b, "tools/list");
  ASSERT_EQ(beta_tools.status, 200);
  EXPECT_EQ(beta_tools.body.find("alpha"), std::string::npos);

  // Two tenants, two instances: nothing shared.
  const auto instances = Instances();
  ASSERT_EQ(instances.instances.size(), 2u);
  EXPECT_NE(instances.instances[0].pid, instances.instances[1].pid);
  // A made-up token gets nothing.
  EXPECT_EQ(TenantCall(a + "x", "tools/list").status, 401);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, RegistryEditsTakeEffectLiveAndTheOldInstanceDrains) {
  StartGateway();
  const std::string token = CreateTenant("acme", {{"first", NewSqliteDsn("first.db")}});
  ASSERT_EQ(TenantCall(token, "tools/list").status, 200);
  const auto before = Instances();
  ASSERT_EQ(before.instances.size(), 1u);
  const std::string old_id = before.instances[0].id;

  const auto put = AdminJson("PUT", "/admin/tenants/acme/sources/second",
                             {{"dsn", NewSqliteDsn("second.db")}});
  ASSERT_EQ(put.status, 200) << put.Describe();

  const auto tools = TenantCall(token, "tools/list");
  ASSERT_EQ(tools.status, 200) << tools.Describe();
  EXPECT_TRUE(HasTool(tools, "execute_sql_first")) << tools.body;
  EXPECT_TRUE(HasTool(tools, "execute_sql_second")) << tools.body;

  // The old revision's instance drains and goes; the new one serves.
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (const auto& instance : Instances().instances) {
          if (instance.id == old_id) return false;
        }
        return true;
      },
      std::chrono::seconds(30)));
  const auto after = Instances();
  ASSERT_EQ(after.instances.size(), 1u);
  EXPECT_NE(after.instances[0].id, old_id);

  // Options too: readonly now.
  const auto patched = AdminJson("PATCH", "/admin/tenants/acme",
                                 {{"options", {{"readonly", true}}}});
  ASSERT_EQ(patched.status, 200) << patched.Describe();
  const auto write = TenantSql(token, "execute_sql_first",
                               "INSERT INTO people(name) VALUES ('x')");
  EXPECT_NE(write.body.find("READONLY_VIOLATION"), std::string::npos)
      << write.Describe();
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, ReadonlyTenantCannotWrite) {
  StartGateway();
  const std::string token = CreateTenant(
      "acme", {{"people", NewSqliteDsn("ro.db")}}, {{"readonly", true}});
  const auto write =
      TenantSql(token, "execute_sql", "INSERT INTO people(name) VALUES ('x')");
  ASSERT_EQ(write.status, 200) << write.Describe();
  EXPECT_NE(write.body.find("READONLY_VIOLATION"), std::string::npos)
      << write.body;
  const auto read = TenantSql(token, "execute_sql", kPeopleQuery);
  EXPECT_EQ(ExecuteSqlRows(read), PeopleRows());
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, GatewayWideReadonlyAppliesToDsnRequests) {
  StartGateway({"--readonly", "--max-rows=1"});
  auto client = Client(NewSqliteDsn("dsn.db"));
  const auto write = client.ExecuteSql("INSERT INTO people(name) VALUES ('x')");
  ASSERT_EQ(write.status, 200) << write.Describe();
  EXPECT_NE(write.body.find("READONLY_VIOLATION"), std::string::npos) << write.body;
  const auto read = client.ExecuteSql(kPeopleQuery);
  const auto rows = ExecuteSqlRows(read);
  ASSERT_TRUE(rows.has_value()) << read.Describe();
  EXPECT_EQ(rows->size(), 1u);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, DeniedAddressesAreRefusedBeforeAnySpawn) {
  // localhost resolves into a denied range: the check runs on the address.
  StartGateway({"--deny-host=127.0.0.0/8", "--deny-host=::1/128"});
  auto metadata = Client("postgres://u:pw1234@169.254.169.254:5432/db");
  const auto refused = metadata.ListTools();
  EXPECT_EQ(refused.status, 403) << refused.Describe();
  EXPECT_EQ(JsonRpcErrorCode(refused), kForbidden);
  EXPECT_NE(JsonRpcErrorMessage(refused).find("deny-host"), std::string::npos);
  EXPECT_EQ(refused.body.find("pw1234"), std::string::npos);

  auto resolved = Client("postgres://u:pw1234@localhost:5432/db");
  const auto refused_resolved = resolved.ListTools();
  EXPECT_EQ(refused_resolved.status, 403) << refused_resolved.Describe();
  EXPECT_NE(JsonRpcErrorMessage(refused_resolved).find("resolves to"),
            std::string::npos);

  // The admin API refuses such a source too.
  ASSERT_EQ(AdminJson("POST", "/admin/tenants", {{"id", "acme"}}).status, 201);
  const auto put = AdminJson("PUT", "/admin/tenants/acme/sources/meta",
                             {{"dsn", "mysql://u:pw1234@169.254.169.254/db"}});
  EXPECT_EQ(put.status, 403) << put.Describe();
  EXPECT_EQ(put.body.find("pw1234"), std::string::npos);

  EXPECT_EQ(Instances().instances.size(), 0u);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, RateLimitAnswers429WithRetryAfter) {
  StartGateway({"--rate-limit=0.01", "--rate-burst=1"});
  auto client = Client(NewSqliteDsn("rate.db"));
  ASSERT_EQ(client.ListTools().status, 200);
  const auto limited = client.ListTools();
  EXPECT_EQ(limited.status, 429) << limited.Describe();
  EXPECT_EQ(JsonRpcErrorCode(limited), kRateLimited);
  EXPECT_FALSE(limited.Header("retry-after").empty());

  // Per tenant, from its options.
  const std::string token = CreateTenant(
      "acme", {{"people", NewSqliteDsn("t.db")}}, {{"rate_per_second", 0.01}});
  ASSERT_EQ(TenantCall(token, "tools/list").status, 200);
  const auto tenant_limited = TenantCall(token, "tools/list");
  EXPECT_EQ(tenant_limited.status, 429) << tenant_limited.Describe();
  EXPECT_FALSE(tenant_limited.Header("retry-after").empty());
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, TokenAndDsnTogetherOrNeitherAreClearErrors) {
  StartGateway();
  const std::string token = CreateTenant("acme", {{"people", NewSqliteDsn("b.db")}});
  HttpRequest both;
  both.method = "POST";
  both.url = gateway().mcp_url();
  both.headers = {"Content-Type: application/json",
                  "Accept: application/json, text/event-stream",
                  "Authorization: Bearer " + token,
                  "X-DBHub-DSN: " + NewSqliteDsn("c.db")};
  both.body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  const auto refused = mcp_http_.Send(both);
  EXPECT_EQ(refused.status, 400) << refused.Describe();
  EXPECT_NE(JsonRpcErrorMessage(refused).find("not both"), std::string::npos);

  const auto neither = Client(std::nullopt).ListTools();
  EXPECT_EQ(neither.status, 401);
  EXPECT_NE(JsonRpcErrorMessage(neither).find("Bearer"), std::string::npos);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, DsnRequestsCanBeSwitchedOff) {
  StartGateway({"--allow-dsn-requests=false"});
  const auto refused = Client(NewSqliteDsn("off.db")).ListTools();
  EXPECT_EQ(refused.status, 403) << refused.Describe();
  EXPECT_NE(JsonRpcErrorMessage(refused).find("allow-dsn-requests"),
            std::string::npos);
  const std::string token = CreateTenant("acme", {{"people", NewSqliteDsn("on.db")}});
  EXPECT_EQ(TenantCall(token, "tools/list").status, 200);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, RegistrySurvivesRestartAndHoldsNoPlaintextSecrets) {
  auto& postgres = SharedPostgres();
  StartGateway();
  const std::string token = CreateTenant(
      "acme", {{"shop", postgres.Dsn()}, {"people", NewSqliteDsn("keep.db")}},
      {{"max_rows", 100}});
  ASSERT_EQ(TenantCall(token, "tools/list").status, 200);
  StopGatewayAndExpectCleanExit();

  // Nothing secret in the database file or its WAL.
  std::string bytes;
  for (const auto* suffix : {"", "-wal"}) {
    std::ifstream in((state_dir() / "tenants.db").string() + suffix,
                     std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(postgres.Dsn()), std::string::npos);
  EXPECT_EQ(bytes.find(token), std::string::npos);
  EXPECT_EQ(bytes.find(token.substr(4)), std::string::npos);
  const std::string password =
      postgres.Dsn().substr(11, postgres.Dsn().find('@') - 11);  // user:pass
  EXPECT_EQ(bytes.find(password), std::string::npos);
  EXPECT_EQ(bytes.find("keep.db"), std::string::npos);

  // A new gateway on the same state directory: everything is still there.
  StartGateway();
  const auto products = TenantSql(token, "execute_sql_shop", kProductsQuery);
  ASSERT_EQ(products.status, 200) << products.Describe();
  EXPECT_EQ(ExecuteSqlRows(products), ProductsRows());
  const auto tenant = Admin("GET", "/admin/tenants/acme");
  ASSERT_EQ(tenant.status, 200);
  auto json = nlohmann::json::parse(tenant.body);
  EXPECT_EQ(json["options"]["max_rows"], 100);
  EXPECT_EQ(json["sources"].size(), 2u);
  // Shown redacted.
  EXPECT_EQ(tenant.body.find(password), std::string::npos);
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, BusyInstanceQueueFullAnswers503) {
  StartGateway({"--max-concurrent-per-instance=1", "--max-queued-per-instance=0"});
  const std::string dsn = NewSqliteDsn("busy.db");
  ASSERT_EQ(Client(dsn).ListTools().status, 200);
  // One slow query holds the instance's only slot...
  std::thread slow([&] {
    auto client = Client(dsn);
    client.ExecuteSql(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 10000000) SELECT count(*) FROM c");
  });
  const bool busy = WaitUntil(
      [&] {
        const auto snapshot = Instances();
        return !snapshot.instances.empty() &&
               snapshot.instances[0].raw.value("in_flight", 0) >= 1;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(10));
  // ...so another request finds no slot and no room to wait.
  const auto refused = busy ? Client(dsn).ListTools() : HttpResponse{};
  slow.join();
  ASSERT_TRUE(busy);
  EXPECT_EQ(refused.status, 503) << refused.Describe();
  EXPECT_EQ(JsonRpcErrorCode(refused), rpc_code::kInstanceBusy);
  EXPECT_FALSE(refused.Header("retry-after").empty());
  StopGatewayAndExpectCleanExit();
}

TEST_F(TenantsTest, SeedFileDeclaresTenants) {
  const auto seed = temp().path() / "tenants.toml";
  const std::string dsn = NewSqliteDsn("seeded.db");
  const std::string token = "mgw_seeded_token_for_tests";
  std::ofstream(seed) << "[[tenants]]\nid = \"seeded\"\nreadonly = true\n"
                         "token_sha256 = [\""
                      << Sha256Hex(token)
                      << "\"]\n[[tenants.sources]]\nid = \"people\"\ndsn = \""
                      << dsn << "\"\n";
  StartGateway({"--tenants-file=" + seed.string()});
  const auto tenant = Admin("GET", "/admin/tenants/seeded");
  ASSERT_EQ(tenant.status, 200) << tenant.Describe();
  auto json = nlohmann::json::parse(tenant.body);
  EXPECT_EQ(json["options"]["readonly"], true);
  EXPECT_EQ(json["sources"].size(), 1u);
  EXPECT_EQ(json["tokens"].size(), 1u);
  const auto write =
      TenantSql(token, "execute_sql", "INSERT INTO people(name) VALUES ('x')");
  EXPECT_NE(write.body.find("READONLY_VIOLATION"), std::string::npos)
      << write.Describe();
  StopGatewayAndExpectCleanExit();
}

// A tenant-registry write held in the store (the test-only write gate of
// src/tenant_setup.cc standing for a slow disk) delays nothing else: with a
// single I/O thread, MCP requests (a DSN's and a tenant token's), the
// health check and the admin API's reads are all answered while the write
// is still held, and the write completes once released.
TEST_F(TenantsTest, SlowRegistryWriteDoesNotDelayMcpTraffic) {
  const auto gate = temp().path() / "release-registry-writes";
  std::ofstream(gate).put('\n');  // open while the tenant is set up
  ScopedEnv gate_env("MCPGW_TEST_ONLY_REGISTRY_WRITE_GATE", gate.string());
  StartGateway({"--threads=1"});
  const std::string token =
      CreateTenant("acme", {{"people", NewSqliteDsn("acme.db")}});
  ASSERT_FALSE(token.empty());
  auto dsn_client = Client(NewSqliteDsn("plain.db"));

  std::filesystem::remove(gate);
  const std::string held_line = "tenant-registry write held until";
  ASSERT_EQ(AllGatewayOutput().find(held_line), std::string::npos);
  auto write = std::async(std::launch::async, [this] {
    HttpClient http;
    return AdminRequest(http, gateway().admin_port(), AdminToken(), "PATCH",
                        "/admin/tenants/acme", {{"options", {{"max_rows", 5}}}});
  });
  ASSERT_TRUE(WaitUntil(
      [&] { return AllGatewayOutput().find(held_line) != std::string::npos; },
      std::chrono::seconds(30)))
      << AllGatewayOutput();

  // The write is held now. Everything below is answered meanwhile.
  EXPECT_EQ(Admin("GET", "/healthz", "").status, 200);
  const auto tools = dsn_client.ListTools();
  EXPECT_EQ(tools.status, 200) << tools.Describe();
  const auto rows = dsn_client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  const auto tenant_rows = TenantSql(token, "execute_sql", kPeopleQuery);
  ASSERT_EQ(tenant_rows.status, 200) << tenant_rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(tenant_rows), PeopleRows());
  const auto listed = Admin("GET", "/admin/tenants/acme");
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  const auto before = nlohmann::json::parse(listed.body);
  EXPECT_EQ(before["options"]["max_rows"], nullptr);  // not written yet
  EXPECT_EQ(Instances().response.status, 200);
  EXPECT_EQ(write.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the write was not held while the requests above were answered";

  std::ofstream(gate).put('\n');
  const auto written = write.get();
  ASSERT_EQ(written.status, 200) << written.Describe();
  const auto after = nlohmann::json::parse(written.body);
  EXPECT_EQ(after["options"]["max_rows"], 5);
  EXPECT_EQ(after["revision"], before["revision"].get<int>() + 1);
}

}  // namespace
}  // namespace mcpgw::it
