// SIGTERM with a request in flight: the gateway lets it finish, reports its
// progress in the log, and never takes longer than --shutdown-grace (plus
// the instances' stop) to exit.

#include <signal.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/postgres_server.h"
#include "test_support/proc_info.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

constexpr std::chrono::seconds kWait{30};

class ShutdownDrainTest : public GatewayTest {
 protected:
  bool InFlight(const std::string& id) {
    const auto body = nlohmann::json::parse(
        Admin("GET", "/admin/instances/" + id).body, nullptr, false);
    // The second request (after the warm-up) holds the instance.
    return body.is_object() && body.value("requests", 0) == 2 &&
           body.value("in_flight", 0) == 1;
  }
};

TEST_F(ShutdownDrainTest, TheRequestInFlightFinishesAndProgressIsLogged) {
  auto& postgres = SharedPostgres();
  StartGateway({"--start-timeout=60s", "--shutdown-grace=30s"});
  auto warm = Client(postgres.Dsn());
  ASSERT_EQ(warm.ExecuteSql(kProductsQuery).status, 200);
  const auto instances = Instances();
  ASSERT_EQ(instances.instances.size(), 1u);
  const std::string id = instances.instances[0].id;

  auto slow = std::async(std::launch::async, [&] {
    auto client = Client(postgres.Dsn());
    return client.ExecuteSql("SELECT pg_sleep(3)");
  });
  ASSERT_TRUE(WaitUntil([&] { return InFlight(id); }, kWait));
  // While it drains, the admin listener still answers: not ready.
  ASSERT_EQ(kill(gateway().pid(), SIGTERM), 0);
  EXPECT_TRUE(WaitUntil([&] { return Admin("GET", "/readyz", "").status == 503; },
                        kWait));
  StopGatewayAndExpectCleanExit();

  const auto answer = slow.get();
  EXPECT_EQ(answer.status, 200) << answer.Describe();
  EXPECT_EQ(JsonRpcError(answer), nullptr) << answer.Describe();
  const std::string log = gateway().Output();
  EXPECT_NE(log.find("shutdown grace_left_ms="), std::string::npos) << log;
  EXPECT_NE(log.find("requests_in_flight=1"), std::string::npos) << log;
  EXPECT_NE(log.find("phase=done"), std::string::npos) << log;
}

TEST_F(ShutdownDrainTest, AShortGraceCutsALongRequestAndTheGatewayStillExits) {
  auto& postgres = SharedPostgres();
  StartGateway({"--start-timeout=60s", "--shutdown-grace=1s"});
  auto warm = Client(postgres.Dsn());
  ASSERT_EQ(warm.ExecuteSql(kProductsQuery).status, 200);
  const std::string id = Instances().instances.at(0).id;

  auto slow = std::async(std::launch::async, [&] {
    auto client = Client(postgres.Dsn());
    return client.ExecuteSql("SELECT pg_sleep(60)");
  });
  ASSERT_TRUE(WaitUntil([&] { return InFlight(id); }, kWait));
  // Well before pg_sleep(60) could end.
  StopGatewayAndExpectCleanExit();
  const auto answer = slow.get();
  EXPECT_NE(answer.status, 200) << answer.Describe();
  const std::string log = gateway().Output();
  EXPECT_NE(log.find("still in flight after the grace period"),
            std::string::npos) << log;
}

// Busy threads beside the gateway for as long as they live: a loaded
// machine, where a request cut by the grace period is still suspended in
// the event loop when the shutdown ends.
class CpuHogs {
 public:
  explicit CpuHogs(int count) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this] {
        volatile std::uint64_t spin = 0;
        while (!stop_.load(std::memory_order_relaxed)) spin = spin + 1;
      });
    }
  }
  ~CpuHogs() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The requests the grace period cuts hold leases (and concurrency slots)
// in coroutine frames that the event loop still owns when it stops. Those
// frames must go while the pool, its clock and the request guard are
// alive: before, UBSan saw a lease released into a destroyed pool
// ("member call on address ... which does not point to an object of type
// 'Clock'", instance_pool.cc) and the gateway exited 1, now and then,
// under load. Several rounds, two CPU hogs, three cut requests each.
TEST_F(ShutdownDrainTest, CutRequestsUnderLoadNeverOutliveThePool) {
  // The shutdown order is the runtime's business in no way; four container
  // starts under load would only add minutes.
  if (UnderDockerRuntime()) GTEST_SKIP() << "process runtime only";
  auto& postgres = SharedPostgres();
  CpuHogs hogs(2);
  constexpr int kRounds = 4;
  constexpr int kSlow = 3;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    StartGateway({"--start-timeout=60s", "--shutdown-grace=1s"});
    auto warm = Client(postgres.Dsn());
    ASSERT_EQ(warm.ExecuteSql(kProductsQuery).status, 200);
    const std::string id = Instances().instances.at(0).id;
    std::vector<std::future<HttpResponse>> slow;
    for (int i = 0; i < kSlow; ++i) {
      slow.push_back(std::async(std::launch::async, [&] {
        auto client = Client(postgres.Dsn());
        return client.ExecuteSql("SELECT pg_sleep(60)");
      }));
    }
    ASSERT_TRUE(WaitUntil(
        [&] {
          const auto body = nlohmann::json::parse(
              Admin("GET", "/admin/instances/" + id).body, nullptr, false);
          return body.is_object() && body.value("in_flight", 0) == kSlow;
        },
        kWait));
    StopGatewayAndExpectCleanExit();
    for (auto& request : slow) {
      EXPECT_NE(request.get().status, 200);
    }
    const std::string log = gateway().Output();
    EXPECT_EQ(log.find("runtime error"), std::string::npos) << log;
    EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
    EXPECT_NE(log.find("stopped"), std::string::npos) << log;
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace mcpgw::it
