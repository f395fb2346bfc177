#pragma once
// The GoogleTest fixture of the integration tests: a temp directory, the
// gateway(s) started in it, clients for it, and a clean shutdown at the end
// (SIGTERM, exit code 0 expected) with the gateway's output printed when the
// test failed.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support/admin_api.h"
#include "test_support/gateway_process.h"
#include "test_support/mcp_client.h"
#include "test_support/proc_info.h"
#include "test_support/temp_dir.h"

namespace mcpgw::it {

class GatewayTest : public ::testing::Test {
 protected:
  // Generous bound for a graceful stop: --shutdown-grace defaults to 10 s.
  static constexpr std::chrono::seconds kStopTimeout{30};

  // Starts a gateway on state_dir() (a fresh directory unless a previous
  // gateway of this test used it) with the base flags plus `extra_flags`.
  // Throws if it does not come up.
  GatewayProcess& StartGateway(std::vector<std::string> extra_flags = {},
                               std::vector<std::string> command_prefix = {});
  // The most recently started gateway.
  GatewayProcess& gateway();

  std::filesystem::path state_dir() const { return temp_ / "state"; }
  // Where NewSqliteDsn puts its files (readable by containers too).
  std::filesystem::path sqlite_dir() const;
  // --sqlite-dir=sqlite_dir(): a warm worker's sandbox, set before it knows
  // its DSN, covers only sqlite files there (docs/security.md).
  std::string SqliteDirFlag() const { return "--sqlite-dir=" + sqlite_dir().string(); }
  const TempDir& temp() const { return temp_; }

  // A client of the current gateway's POST /mcp.
  McpClient Client(std::optional<std::string> dsn);
  // A new SQLite file `name` in the temp dir with the people table; its DSN.
  std::string NewSqliteDsn(const std::string& name);

  // GET /admin/instances of the current gateway. Records every pid seen so
  // that TearDown can kill DBHub processes a broken gateway left behind.
  InstancesSnapshot Instances(const std::string& query = "");

  // The current gateway's admin token (from its state directory).
  std::string AdminToken() const;
  // An admin API call with the token (or with `token` when given).
  HttpResponse Admin(const std::string& method, const std::string& path,
                     std::optional<std::string> token = std::nullopt);

  // The process of the gateway's only instance; nullopt, with a failure
  // recorded, when there is not exactly one or its process is gone.
  std::optional<ProcessIdentity> OnlyInstanceProcess();
  // Expects exactly one instance, running, in another process than
  // `replaced_pid`.
  void ExpectOnlyInstanceReplaced(int replaced_pid);

  // SIGTERM the current gateway and expect exit code 0 within kStopTimeout.
  void StopGatewayAndExpectCleanExit();

  // Every gateway's captured output, concatenated.
  std::string AllGatewayOutput() const;

  void TearDown() override;

 private:
  TempDir temp_{"mcpgw-it"};
  std::vector<std::unique_ptr<GatewayProcess>> gateways_;
  std::vector<ProcessIdentity> seen_instances_;
  HttpClient admin_http_;
};

}  // namespace mcpgw::it
