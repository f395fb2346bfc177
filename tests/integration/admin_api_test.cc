// The admin API against a real gateway and real DBHub instances: the token,
// every endpoint, the filters, and what drain and delete do to requests in
// flight.

#include <sys/stat.h>

#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/gateway_fixture.h"
#include "test_support/postgres_server.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

constexpr std::chrono::seconds kWait{30};
// Long enough to be seen in flight, short enough for the suite.
constexpr const char* kSlowQuery = "SELECT pg_sleep(4)";

nlohmann::json Json(const HttpResponse& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
}

// The instance's second request (the slow one, after the warm-up) holds it.
// (in_flight alone could still be the warm-up's lease: the client has its
// answer a moment before the gateway releases the instance.)
bool SlowRequestInFlight(const HttpResponse& response) {
  const auto body = Json(response);
  return body.is_object() && body.value("requests", 0) == 2 &&
         body.value("in_flight", 0) == 1;
}

class AdminApiTest : public GatewayTest {
 protected:
  // One instance for the shared PostgreSQL, warmed up, with a slow request
  // in flight on it: what drain and delete act on.
  struct BusyInstance {
    std::string id;
    int pid = -1;
    std::future<HttpResponse> slow_answer;
  };
  BusyInstance StartGatewayWithABusyInstance() {
    auto& postgres = SharedPostgres();
    StartGateway({"--start-timeout=60s"});
    auto warm = Client(postgres.Dsn());
    EXPECT_EQ(warm.ExecuteSql(kProductsQuery).status, 200);
    const auto before = Instances();
    BusyInstance busy;
    if (before.instances.size() != 1u) {
      ADD_FAILURE() << "expected one instance: " << before.response.body;
      return busy;
    }
    busy.id = before.instances[0].id;
    busy.pid = before.instances[0].pid;
    busy.slow_answer = std::async(std::launch::async, [this, dsn = postgres.Dsn()] {
      auto client = Client(dsn);
      return client.ExecuteSql(kSlowQuery);
    });
    EXPECT_TRUE(WaitUntil(
        [&] {
          return SlowRequestInFlight(Admin("GET", "/admin/instances/" + busy.id));
        },
        kWait));
    return busy;
  }
};

// {"error":{"code":...,"message":...}} with `code`.
void ExpectAdminError(const HttpResponse& response, long status,
                      const std::string& code) {
  EXPECT_EQ(response.status, status) << response.Describe();
  const auto body = Json(response);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << response.body;
  EXPECT_EQ(body["error"].value("code", ""), code) << response.body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << response.body;
}

TEST_F(AdminApiTest, EveryEndpointButHealthAndReadinessNeedsTheToken) {
  StartGateway();
  const std::string token = AdminToken();
  ASSERT_GE(token.size(), 32u);
  struct stat info{};
  ASSERT_EQ(stat((state_dir() / "admin-token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  EXPECT_EQ(Admin("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Admin("GET", "/readyz", "").status, 200);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/metrics"},
           {"GET", "/admin/instances"},
           {"GET", "/admin/instances/i-x-1"},
           {"POST", "/admin/instances/i-x-1/drain"},
           {"DELETE", "/admin/instances/i-x-1"},
           {"GET", "/admin/instances/i-x-1/logs"},
           {"GET", "/admin/sessions"},
           {"GET", "/admin/config"},
           {"GET", "/admin/scaling"}}) {
    SCOPED_TRACE(method + " " + path);
    const auto without = Admin(method, path, "");
    ExpectAdminError(without, 401, "unauthorized");
    EXPECT_NE(without.Header("www-authenticate").find("Bearer"),
              std::string::npos);
    ExpectAdminError(Admin(method, path, token + "x"), 401, "unauthorized");
    EXPECT_NE(Admin(method, path).status, 401);
  }
  ExpectAdminError(Admin("GET", "/admin/nothing"), 404, "not_found");
  ExpectAdminError(Admin("POST", "/admin/instances"), 405,
                   "method_not_allowed");
  StopGatewayAndExpectCleanExit();
}

TEST_F(AdminApiTest, InstancesFiltersDetailsLogsConfigSessionsScaling) {
  StartGateway({"--max-instances=4"});
  auto client = Client(NewSqliteDsn("people.db"));
  ASSERT_EQ(client.ExecuteSql(kPeopleQuery).status, 200);

  const auto all = Instances();
  ASSERT_TRUE(all.parsed) << all.response.Describe();
  ASSERT_EQ(all.instances.size(), 1u);
  const std::string id = all.instances[0].id;
  EXPECT_EQ(Instances("?state=ready").instances.size(), 1u);
  EXPECT_EQ(Instances("?state=starting").instances.size(), 0u);
  const std::string runtime = UnderDockerRuntime() ? "docker" : "process";
  const std::string other = UnderDockerRuntime() ? "process" : "docker";
  EXPECT_EQ(Instances("?runtime=" + runtime).instances.size(), 1u);
  EXPECT_EQ(Instances("?runtime=" + other).instances.size(), 0u);
  EXPECT_EQ(Instances("?tenant=acme").instances.size(), 0u);
  EXPECT_EQ(Instances("?state=ready&runtime=" + runtime).instances.size(), 1u);
  ExpectAdminError(Admin("GET", "/admin/instances?state=sleepy"), 400,
                   "bad_request");

  // The client has its answer a moment before the instance is released.
  ASSERT_TRUE(WaitUntil(
      [&] { return Json(Admin("GET", "/admin/instances/" + id))["in_flight"] == 0; },
      kWait));
  const auto one = Admin("GET", "/admin/instances/" + id);
  ASSERT_EQ(one.status, 200) << one.Describe();
  const auto detail = Json(one);
  EXPECT_EQ(detail["id"], id);
  EXPECT_EQ(detail["state"], "ready");
  EXPECT_EQ(detail["runtime"], runtime);
  EXPECT_TRUE(detail["tenant"].is_null());
  EXPECT_EQ(detail["container_id"].is_null(), !UnderDockerRuntime());
  EXPECT_EQ(detail["key_prefix"].get<std::string>().size(), 12u);
  EXPECT_TRUE(detail["pid"].is_number_integer());
  EXPECT_TRUE(detail["port"].is_number_integer());
  EXPECT_EQ(detail["requests"], 1);
  EXPECT_EQ(detail["errors"], 0);
  EXPECT_EQ(detail["in_flight"], 0);
  EXPECT_EQ(detail["open_streams"], 0);
  if (UnderDockerRuntime()) {
    // The pid a container shows is its init's: not DBHub's memory.
    EXPECT_TRUE(detail["memory_bytes"].is_null()) << one.body;
  } else {
    EXPECT_TRUE(detail["memory_bytes"].is_number_unsigned()) << one.body;
    EXPECT_GT(detail["memory_bytes"].get<std::uint64_t>(), 1'000'000u);
  }
  for (const char* key : {"started_at", "ready_at", "last_used_at"}) {
    EXPECT_TRUE(detail[key].is_string()) << key;
  }
  ExpectAdminError(Admin("GET", "/admin/instances/i-nope-9"), 404, "not_found");

  const auto logs = Admin("GET", "/admin/instances/" + id + "/logs");
  ASSERT_EQ(logs.status, 200) << logs.Describe();
  EXPECT_TRUE(Json(logs)["output"].is_string()) << logs.body;
  ExpectAdminError(Admin("GET", "/admin/instances/i-nope-9/logs"), 404,
                   "not_found");

  const auto config = Admin("GET", "/admin/config");
  ASSERT_EQ(config.status, 200) << config.Describe();
  EXPECT_EQ(Json(config)["max_instances"], 4);
  EXPECT_EQ(config.body.find(AdminToken()), std::string::npos);
  std::ifstream secret_file(state_dir() / "secret");
  std::string secret;
  std::getline(secret_file, secret);
  EXPECT_EQ(config.body.find(secret), std::string::npos);

  const auto sessions = Admin("GET", "/admin/sessions");
  ASSERT_EQ(sessions.status, 200) << sessions.Describe();
  // This test's client never initialized: no session was issued.
  EXPECT_EQ(Json(sessions)["sessions_issued"], 0) << sessions.Describe();
  EXPECT_EQ(Json(sessions)["legacy_sse_sessions"], 0);
  EXPECT_TRUE(Json(sessions)["session_ttl_seconds"].is_number());

  const auto scaling = Admin("GET", "/admin/scaling");
  ASSERT_EQ(scaling.status, 200) << scaling.Describe();
  const auto s = Json(scaling);
  EXPECT_EQ(s["instances"], 1);
  EXPECT_EQ(s["pending_spawns"], 0);
  EXPECT_EQ(s["in_flight"], 0);
  EXPECT_EQ(s["max_instances"], 4);
  EXPECT_DOUBLE_EQ(s["utilisation"].get<double>(), 0.25);
  EXPECT_EQ(s["recommended_replicas"], 1);
  StopGatewayAndExpectCleanExit();
}


TEST_F(AdminApiTest, DrainLetsTheRequestInFlightFinishThenStops) {
  auto busy = StartGatewayWithABusyInstance();
  ASSERT_FALSE(busy.id.empty());
  const std::string& id = busy.id;
  const int pid = busy.pid;
  auto& postgres = SharedPostgres();

  const auto drain = Admin("POST", "/admin/instances/" + id + "/drain");
  ASSERT_EQ(drain.status, 202) << drain.Describe();
  EXPECT_EQ(Json(drain)["state"], "draining");
  EXPECT_EQ(Instances("?state=draining").instances.size(), 1u);

  // New requests for the same DSN go to a new instance.
  auto fresh = Client(postgres.Dsn());
  ASSERT_EQ(fresh.ExecuteSql(kProductsQuery).status, 200);
  const auto ready = Instances("?state=ready");
  ASSERT_EQ(ready.instances.size(), 1u) << ready.response.body;
  EXPECT_NE(ready.instances[0].id, id);

  // The request in flight completes normally; then the instance stops.
  const auto answer = busy.slow_answer.get();
  EXPECT_EQ(answer.status, 200) << answer.Describe();
  EXPECT_EQ(JsonRpcError(answer), nullptr) << answer.Describe();
  EXPECT_TRUE(WaitUntil(
      [&] { return Admin("GET", "/admin/instances/" + id).status == 404; },
      kWait));
  EXPECT_TRUE(WaitUntil([&] { return !IsRunning(pid); }, kWait));
  StopGatewayAndExpectCleanExit();
}

TEST_F(AdminApiTest, DeleteStopsNowAndTheRequestInFlightGetsAJsonRpcError) {
  auto busy = StartGatewayWithABusyInstance();
  ASSERT_FALSE(busy.id.empty());
  const std::string& id = busy.id;
  const int pid = busy.pid;

  const auto deleted = Admin("DELETE", "/admin/instances/" + id);
  EXPECT_EQ(deleted.status, 202) << deleted.Describe();
  const auto answer = busy.slow_answer.get();
  EXPECT_EQ(answer.status, 502) << answer.Describe();
  EXPECT_EQ(JsonRpcErrorCode(answer), rpc_code::kBackendFailed) << answer.Describe();
  EXPECT_TRUE(WaitUntil([&] { return !IsRunning(pid); }, kWait));
  EXPECT_TRUE(WaitUntil(
      [&] { return Admin("GET", "/admin/instances/" + id).status == 404; },
      kWait));
  ExpectAdminError(Admin("DELETE", "/admin/instances/" + id), 404, "not_found");

  // The next request simply starts a new instance.
  auto next = Client(SharedPostgres().Dsn());
  ASSERT_EQ(next.ExecuteSql(kProductsQuery).status, 200);
  StopGatewayAndExpectCleanExit();
}

}  // namespace
}  // namespace mcpgw::it
