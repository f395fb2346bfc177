// A DBHub killed with SIGKILL is replaced: the next request(s) get a new
// instance; a request that fails meanwhile fails with a JSON-RPC error.

#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

using CrashRecoveryTest = GatewayTest;

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kRecoveryBound{20};
constexpr int kMaxTries = 10;
constexpr milliseconds kPerRequestTimeout{15000};
constexpr milliseconds kBetweenTries{200};

TEST_F(CrashRecoveryTest, KilledInstanceIsReplacedOnTheNextRequest) {
  StartGateway();
  auto client = Client(NewSqliteDsn("crash.db"));
  const auto first = client.ExecuteSql(kPeopleQuery);
  ASSERT_EQ(first.status, 200) << first.Describe();
  const auto victim = OnlyInstanceProcess();
  ASSERT_TRUE(victim.has_value());

  ASSERT_EQ(kill(victim->pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return !IsRunning(*victim); }, seconds(5)));

  const auto deadline = std::chrono::steady_clock::now() + kRecoveryBound;
  bool recovered = false;
  int tries = 0;
  while (!recovered && tries < kMaxTries &&
         std::chrono::steady_clock::now() < deadline) {
    ++tries;
    const auto response = client.Call(
        "tools/call",
        {{"name", "execute_sql"}, {"arguments", {{"sql", kPeopleQuery}}}},
        kPerRequestTimeout);
    if (response.status == 200 && ExecuteSqlRows(response) == PeopleRows()) {
      recovered = true;
      break;
    }
    // Failing is allowed right after the kill, but only as a proper
    // JSON-RPC error: no hang, no reset, no empty answer.
    EXPECT_TRUE(CarriesJsonRpcError(response)) << "try " << tries;
    ASSERT_FALSE(gateway().HasExited()) << "the gateway died";
    std::this_thread::sleep_for(kBetweenTries);
  }
  RecordProperty("tries_until_recovered", tries);
  ASSERT_TRUE(recovered) << "no successful request in " << tries
                         << " tries within " << kRecoveryBound.count() << " s";

  ExpectOnlyInstanceReplaced(victim->pid);
}

}  // namespace
}  // namespace mcpgw::it
