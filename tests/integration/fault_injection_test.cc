// Faults injected into real processes: a DBHub killed or stopped mid-request,
// one that never becomes ready or exits at once, the database restarted under
// it, clients that vanish mid-request, a client that reads slowly, the
// gateway out of file descriptors or instances. Each test checks what the
// client sees (an answer or a JSON-RPC error, never a hang) and that the
// gateway keeps serving everyone else afterwards.
//
// Process runtime only: they signal DBHub processes by pid. (The gateway
// killed with SIGKILL and restarted: GatewaySigkillAndRestart below, and
// leftover_cleanup_test.cc for containers; a DBHub killed between requests
// is crash_recovery_test.cc.)

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/mcp_client.h"
#include "test_support/postgres_server.h"
#include "test_support/proc_info.h"
#include "test_support/raw_http.h"
#include "test_support/scoped_env.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using std::chrono::milliseconds;
using std::chrono::seconds;

// Bounds that tell "answered" from "hung"; far above what each step takes.
constexpr seconds kAnswerBound{30};
constexpr seconds kWait{30};

class FaultInjectionTest : public GatewayTest {
 protected:
  void SetUp() override {
    if (UnderDockerRuntime()) GTEST_SKIP() << "process runtime only";
  }

  // The instance of the only instance's JSON, by id (null if none).
  nlohmann::json InstanceJson(const std::string& id) {
    auto response = Admin("GET", "/admin/instances/" + id);
    if (response.status != 200) return nullptr;
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  bool InFlight(const std::string& id, int n) {
    const auto j = InstanceJson(id);
    return j.is_object() && j.value("in_flight", -1) == n;
  }

  // Runs `call` on another thread.
  template <typename F>
  static std::future<HttpResponse> Async(F call) {
    return std::async(std::launch::async, std::move(call));
  }

  // Every instance's pid right now.
  std::vector<int> InstancePids() {
    std::vector<int> pids;
    for (const auto& i : Instances().instances) pids.push_back(i.pid);
    return pids;
  }

  // A good request on `dsn` succeeds within a few tries (failures allowed
  // only as JSON-RPC errors).
  void ExpectServedSoon(const std::string& dsn, const std::string& sql) {
    auto client = Client(dsn);
    bool served = false;
    for (int i = 0; i < 10 && !served; ++i) {
      const auto r = client.ExecuteSql(sql);
      served = r.status == 200 && ExecuteSqlRows(r).has_value();
      if (!served) {
        EXPECT_TRUE(CarriesJsonRpcError(r)) << "try " << i;
        std::this_thread::sleep_for(milliseconds(300));
      }
    }
    EXPECT_TRUE(served) << "no good answer on " << dsn;
  }
};

// kill -9 while a request is in flight: that request gets a JSON-RPC error,
// not a hang; a request on another instance is untouched; the next request
// on the same DSN is served by a new instance.
TEST_F(FaultInjectionTest, KillDuringRequest) {
  auto& postgres = SharedPostgres();
  StartGateway({"--start-timeout=60s"});
  const std::string other = NewSqliteDsn("other.db");
  ASSERT_EQ(Client(postgres.Dsn()).ExecuteSql(kProductsQuery).status, 200);
  ASSERT_EQ(Client(other).ExecuteSql(kPeopleQuery).status, 200);
  std::string id;
  int pid = -1;
  for (const auto& i : Instances().instances) {
    if (i.target.rfind("postgres", 0) == 0) {
      id = i.id;
      pid = i.pid;
    }
  }
  ASSERT_GT(pid, 0);

  auto slow = Async([&] { return Client(postgres.Dsn()).ExecuteSql("SELECT pg_sleep(20)"); });
  ASSERT_TRUE(WaitUntil([&] { return InFlight(id, 1); }, kWait));
  ASSERT_EQ(kill(pid, SIGKILL), 0);

  ASSERT_EQ(slow.wait_for(kAnswerBound), std::future_status::ready) << "hung";
  const auto answer = slow.get();
  EXPECT_TRUE(CarriesJsonRpcError(answer)) << answer.Describe();
  EXPECT_EQ(Client(other).ExecuteSql(kPeopleQuery).status, 200);
  ExpectServedSoon(postgres.Dsn(), kProductsQuery);
  EXPECT_FALSE(gateway().HasExited());
}

// SIGSTOP: the backend timeout answers the request with a JSON-RPC error,
// the liveness check kills the stopped instance, and the next request gets
// a new one.
TEST_F(FaultInjectionTest, HungInstanceTimesOutAndIsReplaced) {
  StartGateway({"--backend-timeout=2s", "--liveness-timeout=3s"});
  const std::string dsn = NewSqliteDsn("hung.db");
  const std::string other = NewSqliteDsn("other.db");
  ASSERT_EQ(Client(dsn).ExecuteSql(kPeopleQuery).status, 200);
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());
  ASSERT_EQ(kill(victim->pid, SIGSTOP), 0);

  auto hung = Async([&] { return Client(dsn).ExecuteSql(kPeopleQuery); });
  ASSERT_EQ(hung.wait_for(kAnswerBound), std::future_status::ready) << "hung";
  const auto answer = hung.get();
  EXPECT_TRUE(CarriesJsonRpcError(answer)) << answer.Describe();
  // Everyone else is served meanwhile.
  EXPECT_EQ(Client(other).ExecuteSql(kPeopleQuery).status, 200);

  const bool gone = WaitUntil([&] { return !IsRunning(*victim); }, kWait);
  if (!gone) kill(victim->pid, SIGKILL);
  ASSERT_TRUE(gone) << "the stopped instance was never killed";
  ExpectServedSoon(dsn, kPeopleQuery);
  EXPECT_NE(AllGatewayOutput().find("stopped answering /healthz"), std::string::npos);
}

// A "DBHub" that never listens: the start timeout gives a 502 JSON-RPC
// error, and the process is gone afterwards.
TEST_F(FaultInjectionTest, NeverReadyInstanceIsKilledAtTheStartTimeout) {
  const auto script = temp().path() / "never_ready.js";
  std::ofstream(script) << "setInterval(() => {}, 1000);\n";
  const ScopedEnv fake_dbhub("MCP_GATEWAY_DBHUB", script.string());
  StartGateway({"--start-timeout=2s"});
  const auto answer = Client(NewSqliteDsn("never.db")).ExecuteSql(kPeopleQuery);
  EXPECT_TRUE(IsJsonRpcErrorResponse(answer, 502, rpc_code::kBackendStartFailed)) << answer.Describe();
  EXPECT_TRUE(WaitUntil(
      [&] {
        // (The gateway's own command line names the script too.)
        for (const auto& [pid, cmd] : AllCommandLines()) {
          if (pid != gateway().pid() &&
              cmd.find(script.string()) != std::string::npos) {
            return false;
          }
        }
        return true;
      },
      kWait))
      << "a never-ready DBHub outlived its start timeout";
  EXPECT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, kWait));
}

// A "DBHub" that exits at once: 502 with a JSON-RPC error, quickly, and the
// next try is a new attempt, not a cached failure.
TEST_F(FaultInjectionTest, InstanceThatExitsAtOnceIs502) {
  const auto script = temp().path() / "exits.js";
  std::ofstream(script) << "console.error('boom: cannot start'); process.exit(3);\n";
  const ScopedEnv fake_dbhub("MCP_GATEWAY_DBHUB", script.string());
  StartGateway({"--start-timeout=30s"});
  auto client = Client(NewSqliteDsn("exits.db"));
  for (int i = 0; i < 3; ++i) {
    const auto answer = client.ExecuteSql(kPeopleQuery);
    EXPECT_TRUE(IsJsonRpcErrorResponse(answer, 502, rpc_code::kBackendStartFailed)) << answer.Describe();
  }
  EXPECT_FALSE(gateway().HasExited());
}

// The database crash-restarts while its instance is in use: requests fail
// only as JSON-RPC errors (or tool errors) and soon succeed again.
TEST_F(FaultInjectionTest, DatabaseRestartedWhileInUse) {
  PostgresServer postgres;
  postgres.Start();
  StartGateway({"--start-timeout=60s"});
  auto client = Client(postgres.Dsn());
  ASSERT_EQ(client.ExecuteSql(kProductsQuery).status, 200);
  auto slow = Async([&] { return Client(postgres.Dsn()).ExecuteSql("SELECT pg_sleep(20)"); });
  // The restart must cut the query, not come before it reached the database.
  ASSERT_TRUE(WaitUntil([&] { return postgres.ActiveQueries("pg_sleep(20)") == 1; },
                        kWait, milliseconds(50)));
  postgres.Restart();
  ASSERT_EQ(slow.wait_for(kAnswerBound), std::future_status::ready) << "hung";
  const auto cut = slow.get();
  // The cut query fails, as an MCP answer: a JSON-RPC error or a tool error.
  EXPECT_NE(cut.status, 0) << cut.Describe();
  EXPECT_FALSE(ExecuteSqlRows(cut).has_value()) << cut.Describe();
  bool served = false;
  for (int i = 0; i < 20 && !served; ++i) {
    const auto r = client.ExecuteSql(kProductsQuery);
    served = r.status == 200 && ExecuteSqlRows(r) == ProductsRows();
    if (!served) std::this_thread::sleep_for(milliseconds(500));
  }
  EXPECT_TRUE(served) << "no good answer after the database came back";
}

// Clients that give up mid-request (connection closed while DBHub works):
// the lease is released, the instance is reusable.
TEST_F(FaultInjectionTest, ClientDisconnectMidRequestReleasesTheLease) {
  auto& postgres = SharedPostgres();
  StartGateway({"--start-timeout=60s"});
  auto client = Client(postgres.Dsn());
  ASSERT_EQ(client.ExecuteSql(kProductsQuery).status, 200);
  const auto before = Instances();
  ASSERT_EQ(before.instances.size(), 1u);
  const std::string id = before.instances[0].id;

  for (int i = 0; i < 3; ++i) {
    auto quitter = Client(postgres.Dsn());
    const auto r = quitter.Call(
        "tools/call", {{"name", "execute_sql"}, {"arguments", {{"sql", "SELECT pg_sleep(2)"}}}},
        milliseconds(300));
    EXPECT_EQ(r.status, 0) << "expected the client to give up: " << r.Describe();
  }
  EXPECT_TRUE(WaitUntil(
      [&] {
        const auto j = InstanceJson(id);
        return j.is_object() && j.value("in_flight", -1) == 0 &&
               j.value("open_streams", -1) == 0;
      },
      kWait))
      << InstanceJson(id).dump();
  EXPECT_EQ(client.ExecuteSql(kProductsQuery).status, 200);
  ASSERT_EQ(Instances().instances.size(), 1u);
  EXPECT_EQ(Instances().instances[0].id, id);
}

// A client that does not read its (large) answer: the gateway holds a
// bounded amount of it (socket buffers and one relay chunk), not the whole.
TEST_F(FaultInjectionTest, SlowReaderIsBoundedBuffering) {
  // Under ASan (CI), freed chunks wait in its quarantine (256 MB) instead of
  // being reused: the RSS would count what the gateway no longer holds.
  // Without quarantine the bound below measures the gateway again. (Ignored
  // by a gateway built without ASan.)
  const char* asan = std::getenv("ASAN_OPTIONS");
  const ScopedEnv no_quarantine(
      "ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") +
                          ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
  StartGateway();
  const std::string dsn = NewSqliteDsn("big.db");
  ASSERT_EQ(Client(dsn).ExecuteSql(kPeopleQuery).status, 200);
  // About 24 MB of JSON in one answer.
  const std::string big =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
      "SELECT x, printf('%0100d', x) AS pad FROM c";
  const std::string body = nlohmann::json{
      {"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
      {"params", {{"name", "execute_sql"}, {"arguments", {{"sql", big}}}}}}.dump();
  const std::string request =
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\nX-DBHub-DSN: " + dsn +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const long rss_before = ProcessRssKb(gateway().pid());

  // Read nothing for a while, then everything.
  RawOptions options;
  options.timeout = seconds(60);
  options.read_delay = seconds(5);
  long rss_peak = 0;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      rss_peak = std::max(rss_peak, ProcessRssKb(gateway().pid()));
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const auto got = RawExchange(gateway().mcp_port(), request, options);
  done = true;
  sampler.join();
  ASSERT_TRUE(got.complete) << got.Describe();
  EXPECT_EQ(got.status, 200u);
  EXPECT_GT(got.body.size(), 20u * 1024 * 1024);
  RecordProperty("gateway_rss_growth_kb", rss_peak - rss_before);
  std::printf("slow reader: answer %zu bytes, gateway RSS %ld -> peak %ld kB\n",
              got.body.size(), rss_before, rss_peak);
  // Far below the answer's size: nothing holds it whole.
  EXPECT_LT(rss_peak - rss_before, 8 * 1024) << "kB";
}

// Out of file descriptors: the gateway neither dies nor spins; once
// descriptors are free again it serves as before.
TEST_F(FaultInjectionTest, FileDescriptorExhaustionAndRecovery) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("fd.db");
  ASSERT_EQ(Client(dsn).ExecuteSql(kPeopleQuery).status, 200);
  const pid_t pid = gateway().pid();
  rlimit old_limit{};
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, nullptr, &old_limit), 0);
  const rlimit tight{128, old_limit.rlim_max};
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &tight, nullptr), 0);

  // Idle connections until the gateway cannot accept more.
  std::vector<IdleConnection> hogs;
  for (int i = 0; i < 200; ++i) hogs.emplace_back(gateway().mcp_port());
  // A request now cannot be accepted: it waits (or fails), never crashes it.
  RawOptions quick;
  quick.timeout = seconds(2);
  (void)RawExchange(gateway().mcp_port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", quick);
  EXPECT_FALSE(gateway().HasExited());
  hogs.clear();
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &old_limit, nullptr), 0);

  bool served = false;
  auto client = Client(dsn);
  for (int i = 0; i < 20 && !served; ++i) {
    served = client.ExecuteSql(kPeopleQuery).status == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(250));
  }
  EXPECT_TRUE(served);
  EXPECT_NE(AllGatewayOutput().find("accept failed"), std::string::npos);
}

// Out of instances (--max-instances, all busy): a clear 503 with a JSON-RPC
// error and Retry-After; served again once one is free.
TEST_F(FaultInjectionTest, InstanceExhaustionIs503AndRecovers) {
  auto& postgres = SharedPostgres();
  StartGateway({"--max-instances=1", "--start-timeout=60s"});
  ASSERT_EQ(Client(postgres.Dsn()).ExecuteSql(kProductsQuery).status, 200);
  const std::string id = Instances().instances.at(0).id;
  auto busy = Async([&] { return Client(postgres.Dsn()).ExecuteSql("SELECT pg_sleep(3)"); });
  ASSERT_TRUE(WaitUntil([&] { return InFlight(id, 1); }, kWait));

  const std::string other = NewSqliteDsn("other.db");
  const auto refused = Client(other).ExecuteSql(kPeopleQuery);
  EXPECT_TRUE(IsJsonRpcErrorResponse(refused, 503, rpc_code::kNoCapacity)) << refused.Describe();
  EXPECT_FALSE(refused.Header("retry-after").empty());
  EXPECT_EQ(busy.get().status, 200);
  ExpectServedSoon(other, kPeopleQuery);
}

// The gateway killed with SIGKILL mid-session (a DSN session open, a
// tenant's instance and the DSN's instance running) and restarted on the
// same state directory: the same Mcp-Session-Id keeps working, no DBHub of
// the killed gateway is left running, and the tenant registry (tenant,
// source, token) is intact.
TEST_F(FaultInjectionTest, GatewaySigkillAndRestart) {
  StartGateway();
  HttpClient http;
  auto admin = [&](const std::string& method, const std::string& path,
                   const nlohmann::json& body) {
    return AdminRequest(http, gateway().admin_port(), AdminToken(), method, path,
                        body);
  };
  auto tenant_sql = [&](const std::string& token) {
    McpClient tenant(gateway().mcp_url(), std::nullopt);
    tenant.AddHeader("Authorization: Bearer " + token);
    return tenant.Call("tools/call", {{"name", "execute_sql_people"},
                                      {"arguments", {{"sql", kPeopleQuery}}}});
  };

  // A tenant, through the admin API (the registry in the state directory).
  const std::string tenant_dsn = NewSqliteDsn("tenant.db");
  const auto created = admin("POST", "/admin/tenants",
                             {{"id", "survivor"},
                              {"sources", {{{"id", "people"}, {"dsn", tenant_dsn}},
                                           {{"id", "more"}, {"dsn", NewSqliteDsn("more.db")}}}}});
  ASSERT_EQ(created.status, 201) << created.Describe();
  const auto issued = admin("POST", "/admin/tenants/survivor/tokens", {{"label", "t"}});
  ASSERT_EQ(issued.status, 201) << issued.Describe();
  const std::string token =
      nlohmann::json::parse(issued.body, nullptr, false).value("token", "");
  ASSERT_FALSE(token.empty());
  const auto tenant_before = tenant_sql(token);
  ASSERT_EQ(tenant_before.status, 200) << tenant_before.Describe();
  ASSERT_EQ(ExecuteSqlRows(tenant_before), PeopleRows()) << tenant_before.Describe();

  // A DSN session, mid-way.
  const std::string dsn = NewSqliteDsn("session.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.Initialize().status, 200);
  ASSERT_FALSE(client.session_id().empty());
  const auto first = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(first.status, 200) << first.Describe();
  EXPECT_EQ(ExecuteSqlRows(first), PeopleRows());

  std::vector<ProcessIdentity> old_instances;
  for (const auto& i : Instances().instances) {
    if (auto id = IdentifyProcess(i.pid)) old_instances.push_back(*id);
  }
  ASSERT_EQ(old_instances.size(), 2u) << "the tenant's and the DSN's instance";

  gateway().Kill();  // SIGKILL: no shutdown, nothing cleaned up
  StartGateway();    // the same state directory, hence the same secret

  // No DBHub of the killed gateway remains (the new one kills them at
  // start-up; some may have died with their gateway already).
  for (const auto& old : old_instances) {
    EXPECT_TRUE(WaitUntil([&] { return !IsRunning(old); }, kWait))
        << "DBHub pid " << old.pid << " of the killed gateway still runs";
  }

  // The session continues under its id, on a new instance.
  auto resumed = Client(dsn);
  resumed.set_session_id(client.session_id());
  const auto after = resumed.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(after.status, 200) << after.Describe();
  EXPECT_EQ(ExecuteSqlRows(after), PeopleRows()) << after.Describe();

  // The registry: the tenant, its source and its token.
  const auto tenant = Admin("GET", "/admin/tenants/survivor");
  ASSERT_EQ(tenant.status, 200) << tenant.Describe();
  EXPECT_NE(tenant.body.find("\"people\""), std::string::npos) << tenant.body;
  const auto tenant_after = tenant_sql(token);
  ASSERT_EQ(tenant_after.status, 200) << tenant_after.Describe();
  EXPECT_EQ(ExecuteSqlRows(tenant_after), PeopleRows()) << tenant_after.Describe();

  // Every instance now belongs to the new gateway.
  for (const auto& i : Instances().instances) {
    for (const auto& old : old_instances) EXPECT_NE(i.pid, old.pid);
  }
}

}  // namespace
}  // namespace mcpgw::it
