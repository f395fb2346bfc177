// SIGTERM with a request in flight: the gateway lets it finish, reports its
// progress in the log, and never takes longer than --shutdown-grace (plus
// the instances' stop) to exit.

#include <signal.h>

#include <future>
#include <string>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/postgres_server.h"
#include "test_support/proc_info.h"
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

}  // namespace
}  // namespace mcpgw::it
