// The warm pool with real DBHub workers: a claimed worker serves the
// database it was handed, claims never share a process, a worker that dies
// before its claim is replaced, and a pool that is off or broken leaves
// plain spawns that still work.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support/admin_api.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/metrics_text.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using std::chrono::seconds;

// Workers load DBHub one at a time after a start-up check: a few seconds
// each on a busy 2-core machine.
constexpr seconds kPoolFillBound{90};
constexpr seconds kDisableBound{60};
constexpr int kPoolSize = 2;

// Which file the instance behind `client` has open as its main database.
constexpr const char* kDatabaseFileQuery =
    "SELECT file FROM pragma_database_list WHERE name = 'main'";

class WarmPoolTest : public GatewayTest {
 protected:
  void SetUp() override {
    // ctest does not register these for the docker runtime; a direct run of
    // the binary against it says why they do not apply.
    if (UnderDockerRuntime()) {
      GTEST_SKIP() << "the warm pool serves the process runtime only";
    }
    GatewayTest::SetUp();
  }

  nlohmann::json PoolStatus() {
    return FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken());
  }

  // Waits until the pool is active with all its workers idle; returns their
  // pids (empty, with a failure recorded, when it does not get there).
  std::vector<int> AwaitFullPool() {
    nlohmann::json status;
    const bool full = WaitUntil(
        [&] {
          status = PoolStatus();
          return status.is_object() && status.value("state", "") == "active" &&
                 status.value("idle", 0) == kPoolSize;
        },
        kPoolFillBound);
    EXPECT_TRUE(full) << "warm pool never full: " << status.dump() << "\n"
                      << gateway().Output();
    if (!full) return {};
    return status["idle_pids"].get<std::vector<int>>();
  }

  // The file the instance behind `client` reads, as SQLite reports it.
  std::string DatabaseFileBehind(McpClient& client) {
    const auto response = client.ExecuteSql(kDatabaseFileQuery);
    EXPECT_EQ(response.status, 200) << response.Describe();
    const auto rows = ExecuteSqlRows(response);
    if (!rows || rows->size() != 1) return "";
    return (*rows)[0].value("file", "");
  }

  int InstancePidFor(const std::string& file_name) {
    for (const auto& instance : Instances().instances) {
      if (instance.target.find(file_name) != std::string::npos) {
        return instance.pid;
      }
    }
    return -1;
  }

  HttpClient admin_http_;
};

// A worker's sandbox was set before it knew its DSN and covers
// --sqlite-dir only: a sqlite file elsewhere gets a cold start with rules of
// its own, even with idle workers, and is served all the same.
TEST_F(WarmPoolTest, SqliteFileOutsideTheSqliteDirStartsCold) {
  StartGateway({"--warm-pool=2"});
  const auto idle_pids = AwaitFullPool();
  ASSERT_EQ(idle_pids.size(), 2u);
  auto client = Client(NewSqliteDsn("elsewhere.db"));
  const auto rows = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  const int pid = InstancePidFor("elsewhere.db");
  EXPECT_TRUE(std::find(idle_pids.begin(), idle_pids.end(), pid) == idle_pids.end())
      << "a worker sandboxed without that file was handed it";
  const auto status = PoolStatus();
  EXPECT_EQ(status.value("hits", -1), 0) << status.dump();
  EXPECT_EQ(status.value("idle", -1), 2) << status.dump();
}

TEST_F(WarmPoolTest, ClaimedWorkerServesTheDatabaseItWasHanded) {
  StartGateway({"--warm-pool=2", SqliteDirFlag()});
  const auto idle_pids = AwaitFullPool();
  ASSERT_EQ(idle_pids.size(), 2u);

  const std::string dsn = NewSqliteDsn("claimed.db");
  auto client = Client(dsn);
  const auto rows = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  EXPECT_EQ(std::filesystem::path(DatabaseFileBehind(client)).filename(),
            "claimed.db");

  const int pid = InstancePidFor("claimed.db");
  EXPECT_TRUE(std::find(idle_pids.begin(), idle_pids.end(), pid) !=
              idle_pids.end())
      << "instance pid " << pid << " was not one of the idle workers";
  const auto status = PoolStatus();
  EXPECT_EQ(status.value("hits", -1), 1) << status.dump();
  EXPECT_EQ(status.value("misses", -1), 0) << status.dump();

  // The same in the metrics: one claim, one warm spawn, none cold.
  const auto scrape = Admin("GET", "/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.Describe();
  EXPECT_EQ(MetricValue(scrape.body, "mcp_gateway_warm_pool_claims_total",
                        {{"result", "hit"}}),
            1.0);
  EXPECT_EQ(MetricValue(scrape.body, "mcp_gateway_warm_pool_claims_total",
                        {{"result", "miss"}}),
            0.0);
  EXPECT_EQ(MetricValue(scrape.body, "mcp_gateway_spawns_total",
                        {{"kind", "warm"}}),
            1.0);
  EXPECT_EQ(MetricValue(scrape.body, "mcp_gateway_spawns_total",
                        {{"kind", "cold"}}),
            0.0);
  EXPECT_EQ(MetricValue(scrape.body, "mcp_gateway_warm_pool_size"), 2.0);

  // The DSN reached the worker by pipe: no process shows it in its argv.
  const std::string db_path = dsn.substr(std::string("sqlite://").size());
  for (const auto& [other_pid, command_line] : AllCommandLines()) {
    EXPECT_TRUE(DoesNotContain(command_line, db_path)) << "pid " << other_pid;
  }
}

TEST_F(WarmPoolTest, TwoClaimsNeverShareAProcess) {
  StartGateway({"--warm-pool=2", SqliteDirFlag()});
  const auto idle_pids = AwaitFullPool();
  ASSERT_EQ(idle_pids.size(), 2u);

  auto first = Client(NewSqliteDsn("first.db"));
  auto second = Client(NewSqliteDsn("second.db"));
  // At the same time: neither waits for the other's claim.
  std::string first_file;
  std::thread other([&] { first_file = DatabaseFileBehind(first); });
  const std::string second_file = DatabaseFileBehind(second);
  other.join();
  EXPECT_EQ(std::filesystem::path(first_file).filename(), "first.db");
  EXPECT_EQ(std::filesystem::path(second_file).filename(), "second.db");

  const int first_pid = InstancePidFor("first.db");
  const int second_pid = InstancePidFor("second.db");
  EXPECT_NE(first_pid, second_pid);
  EXPECT_EQ(std::set<int>({first_pid, second_pid}),
            std::set<int>(idle_pids.begin(), idle_pids.end()))
      << "both instances should be the two warm workers";
  EXPECT_EQ(PoolStatus().value("hits", -1), 2);

  // Each answers for its own database again, from its own process.
  EXPECT_EQ(std::filesystem::path(DatabaseFileBehind(first)).filename(),
            "first.db");
  EXPECT_EQ(std::filesystem::path(DatabaseFileBehind(second)).filename(),
            "second.db");
}

TEST_F(WarmPoolTest, MoreFirstRequestsThanWorkersGetPlainSpawnsAtOnce) {
  StartGateway({"--warm-pool=2", SqliteDirFlag()});
  const auto idle_pids = AwaitFullPool();
  ASSERT_EQ(idle_pids.size(), 2u);

  // Four new DSNs at once for two workers: two claims, two plain spawns,
  // every request answered by its own database.
  constexpr int kFirstRequests = 4;
  std::vector<std::string> files(kFirstRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kFirstRequests; ++i) {
    clients.emplace_back([&, i] {
      auto client = Client(NewSqliteDsn("burst-" + std::to_string(i) + ".db"));
      files[i] = std::filesystem::path(DatabaseFileBehind(client)).filename();
    });
  }
  for (auto& client : clients) client.join();
  for (int i = 0; i < kFirstRequests; ++i) {
    EXPECT_EQ(files[i], "burst-" + std::to_string(i) + ".db");
  }
  const auto status = PoolStatus();
  EXPECT_EQ(status.value("hits", -1), 2) << status.dump();
  EXPECT_EQ(status.value("misses", -1), 2) << status.dump();
  std::set<int> pids;
  for (const auto& instance : Instances().instances) pids.insert(instance.pid);
  EXPECT_EQ(pids.size(), static_cast<std::size_t>(kFirstRequests))
      << "every DSN has a process of its own";
}

TEST_F(WarmPoolTest, WorkerThatDiesBeforeItsClaimIsReplaced) {
  StartGateway({"--warm-pool=2", SqliteDirFlag()});
  const auto idle_pids = AwaitFullPool();
  ASSERT_EQ(idle_pids.size(), 2u);
  const int victim = idle_pids.front();
  ASSERT_EQ(kill(victim, SIGKILL), 0);

  std::vector<int> refilled;
  nlohmann::json status;
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = PoolStatus();
        if (!status.is_object() || status.value("idle", 0) != kPoolSize) {
          return false;
        }
        refilled = status["idle_pids"].get<std::vector<int>>();
        return std::find(refilled.begin(), refilled.end(), victim) ==
               refilled.end();
      },
      kPoolFillBound))
      << status.dump();
  EXPECT_GE(status.value("replaced", 0), 1);
  EXPECT_FALSE(IsRunning(victim));

  auto client = Client(NewSqliteDsn("after-replace.db"));
  const auto rows = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  const int pid = InstancePidFor("after-replace.db");
  EXPECT_TRUE(std::find(refilled.begin(), refilled.end(), pid) !=
              refilled.end())
      << "instance pid " << pid << " was not one of the refilled workers";
}

TEST_F(WarmPoolTest, PoolTurnedOffMeansPlainSpawns) {
  StartGateway({"--warm-pool=0"});
  EXPECT_EQ(PoolStatus().value("state", ""), "off");

  auto client = Client(NewSqliteDsn("plain.db"));
  const auto rows = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  for (const auto& [pid, command_line] : AllCommandLines()) {
    if (command_line.find(state_dir().string()) == std::string::npos) continue;
    EXPECT_TRUE(DoesNotContain(command_line, "dbhub_preloader"))
        << "pid " << pid;
  }
}

// --readonly holds on a claimed worker: the claim carries its config's path.
// (--sqlite-dir: a worker's sandbox, set before its claim, covers the file.)
TEST_F(WarmPoolTest, GatewayWideReadonlyHoldsOnAWarmPoolWorker) {
  StartGateway({"--readonly", "--warm-pool=1", SqliteDirFlag()});
  const bool warm = WaitUntil(
      [&] {
        auto status = PoolStatus();
        return status.value("state", "") == "active" && status.value("idle", 0) == 1;
      },
      kPoolFillBound);
  ASSERT_TRUE(warm);
  auto client = Client(NewSqliteDsn("warm.db"));
  const auto write = client.ExecuteSql("INSERT INTO people(name) VALUES ('x')");
  ASSERT_EQ(write.status, 200) << write.Describe();
  EXPECT_NE(write.body.find("READONLY_VIOLATION"), std::string::npos) << write.body;
  EXPECT_EQ(PoolStatus().value("hits", 0), 1) << PoolStatus().dump();
  StopGatewayAndExpectCleanExit();
}

// Preloaders that do not work: the pool turns itself off, says why in the
// log and in /admin/warm-pool, and every request is served by a plain spawn.
struct BrokenPreloader {
  const char* name;
  const char* script;  // empty: no file at all
  const char* reason;  // expected in the pool's reason
};

class BrokenPreloaderTest
    : public WarmPoolTest,
      public ::testing::WithParamInterface<BrokenPreloader> {};

TEST_P(BrokenPreloaderTest, FallsBackToPlainSpawns) {
  const BrokenPreloader& broken = GetParam();
  const auto script = temp().path() / "preloader.mjs";
  if (std::string(broken.script).size() > 0) {
    std::ofstream(script) << broken.script;
  }
  StartGateway({"--warm-pool=2", SqliteDirFlag(), "--warm-preloader=" + script.string()});

  nlohmann::json status;
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = PoolStatus();
        return status.is_object() && status.value("state", "") == "disabled";
      },
      kDisableBound))
      << status.dump() << "\n" << gateway().Output();
  const std::string reason = status.value("reason", "");
  EXPECT_NE(reason.find(broken.reason), std::string::npos) << reason;
  EXPECT_NE(gateway().Output().find("warm pool disabled"), std::string::npos);

  auto client = Client(NewSqliteDsn("fallback.db"));
  const auto rows = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  EXPECT_EQ(ExecuteSqlRows(rows), PeopleRows());
  EXPECT_EQ(PoolStatus().value("hits", -1), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Preloaders, BrokenPreloaderTest,
    ::testing::Values(
        BrokenPreloader{"Missing", "", "no preloader script"},
        BrokenPreloader{"ExitsAtOnce", "process.exit(3);\n",
                        "exited during the start-up check"},
        BrokenPreloader{
            "OtherDbhubVersion",
            "import fs from 'node:fs';\n"
            "fs.writeSync(3, JSON.stringify({warm: true, dbhub_version: "
            "'9.9.9', tested_dbhub_version: '1.4.0', failed: []}) + '\\n');\n"
            "process.stdin.resume();\n",
            "tested with DBHub 1.4.0, but DBHub 9.9.9"},
        BrokenPreloader{
            "ModulesMissing",
            "import fs from 'node:fs';\n"
            "fs.writeSync(3, JSON.stringify({warm: true, dbhub_version: "
            "'1.4.0', tested_dbhub_version: '1.4.0', failed: ['zod: "
            "ERR_MODULE_NOT_FOUND']}) + '\\n');\n"
            "process.stdin.resume();\n",
            "could not load 1 of DBHub's modules"}),
    [](const ::testing::TestParamInfo<BrokenPreloader>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace mcpgw::it
