// SIGTERM: the gateway stops every DBHub it started and exits 0.

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using ShutdownTest = GatewayTest;

// After the gateway has exited its children should be gone already; allow
// the kernel a moment to finish them.
constexpr std::chrono::seconds kChildrenGoneBound{5};

TEST_F(ShutdownTest, SigtermStopsAllInstancesAndExitsZero) {
  StartGateway();
  auto first = Client(NewSqliteDsn("a.db"));
  auto second = Client(NewSqliteDsn("b.db"));
  ASSERT_EQ(first.ListTools().status, 200);
  ASSERT_EQ(second.ListTools().status, 200);
  const auto snapshot = Instances();
  ASSERT_TRUE(snapshot.parsed) << snapshot.response.Describe();
  ASSERT_EQ(snapshot.instances.size(), 2u) << snapshot.response.body;
  std::vector<ProcessIdentity> children;
  std::vector<std::string> containers;
  for (const auto& instance : snapshot.instances) {
    if (UnderDockerRuntime()) containers.push_back(instance.container_id);
    const auto identity = IdentifyProcess(instance.pid);
    ASSERT_TRUE(identity.has_value()) << snapshot.response.body;
    children.push_back(*identity);
  }

  StopGatewayAndExpectCleanExit();

  for (const auto& child : children) {
    EXPECT_TRUE(WaitUntil([&] { return !IsRunning(child); },
                          kChildrenGoneBound))
        << "DBHub pid " << child.pid << " outlived the gateway";
  }
  // Stopping a container removes it.
  for (const auto& id : containers) {
    const auto details = TestEngine().Inspect(id);
    EXPECT_TRUE(absl::IsNotFound(details.status()))
        << "container " << id << " is still on the engine after the gateway "
        << "stopped: " << details.status();
  }
}

}  // namespace
}  // namespace mcpgw::it
