#include "test_support/gateway_fixture.h"

#include <signal.h>

#include <iostream>

#include "test_support/process.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"

namespace mcpgw::it {
namespace {

constexpr std::size_t kPrintedOutputChars = 12000;

}  // namespace

GatewayProcess& GatewayTest::StartGateway(
    std::vector<std::string> extra_flags,
    std::vector<std::string> command_prefix) {
  GatewayConfig config;
  config.state_dir = state_dir();
  config.log_file =
      temp_ / ("gateway-" + std::to_string(gateways_.size() + 1) + ".log");
  // The runtime under test, unless the test sets that option itself (the
  // gateway refuses an option given twice).
  for (auto& flag : RuntimeFlags(sqlite_dir())) {
    const std::string name = flag.substr(0, flag.find('=') + 1);
    bool overridden = false;
    for (const auto& own : extra_flags) {
      overridden = overridden || own.rfind(name, 0) == 0;
    }
    if (!overridden) config.extra_flags.push_back(std::move(flag));
  }
  config.extra_flags.insert(config.extra_flags.end(), extra_flags.begin(),
                            extra_flags.end());
  config.command_prefix = std::move(command_prefix);
  gateways_.push_back(std::make_unique<GatewayProcess>(std::move(config)));
  return *gateways_.back();
}

GatewayProcess& GatewayTest::gateway() {
  if (gateways_.empty()) throw std::logic_error("no gateway started");
  return *gateways_.back();
}

McpClient GatewayTest::Client(std::optional<std::string> dsn) {
  return McpClient(gateway().mcp_url(), std::move(dsn));
}

std::filesystem::path GatewayTest::sqlite_dir() const {
  const auto dir = temp_ / "db";
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    ShareWithContainers(temp_.path(), dir);
  }
  return dir;
}

std::string GatewayTest::NewSqliteDsn(const std::string& name) {
  const auto file = sqlite_dir() / name;
  auto dsn = CreatePeopleDatabase(file);
  std::filesystem::permissions(file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  return dsn;
}

std::string GatewayTest::AdminToken() const {
  return ReadAdminToken(state_dir());
}

HttpResponse GatewayTest::Admin(const std::string& method,
                                const std::string& path,
                                std::optional<std::string> token) {
  return AdminRequest(admin_http_, gateway().admin_port(),
                      token.value_or(AdminToken()), method, path);
}

InstancesSnapshot GatewayTest::Instances(const std::string& query) {
  auto snapshot = FetchInstances(admin_http_, gateway().admin_port(),
                                 AdminToken(), query);
  // A pod's DBHub runs on this machine (the test cluster's one node): the
  // tests that signal or watch an instance's process find it by its pod.
  if (UnderKubernetesRuntime()) {
    for (auto& instance : snapshot.instances) {
      if (instance.pid <= 0 && !instance.container_id.empty() &&
          instance.state == "ready") {
        instance.pid = PodProcessPid(instance.container_id);
      }
    }
  }
  for (const auto& instance : snapshot.instances) {
    if (auto identity = IdentifyProcess(instance.pid)) {
      bool known = false;
      for (const auto& seen : seen_instances_) {
        known = known || (seen.pid == identity->pid &&
                          seen.start_ticks == identity->start_ticks);
      }
      if (!known) seen_instances_.push_back(*identity);
    }
  }
  return snapshot;
}

std::optional<ProcessIdentity> GatewayTest::OnlyInstanceProcess() {
  const auto snapshot = Instances();
  if (!snapshot.parsed) {
    ADD_FAILURE() << "admin API: " << snapshot.response.Describe();
    return std::nullopt;
  }
  if (snapshot.instances.size() != 1u) {
    ADD_FAILURE() << "expected exactly one instance: " << snapshot.response.body;
    return std::nullopt;
  }
  auto identity = IdentifyProcess(snapshot.instances[0].pid);
  if (!identity) {
    ADD_FAILURE() << "no process with the listed pid: " << snapshot.response.body;
  }
  return identity;
}

void GatewayTest::ExpectOnlyInstanceReplaced(int replaced_pid) {
  const auto after = Instances();
  ASSERT_TRUE(after.parsed) << after.response.Describe();
  ASSERT_EQ(after.instances.size(), 1u) << after.response.body;
  EXPECT_NE(after.instances[0].pid, replaced_pid) << after.response.body;
  EXPECT_TRUE(IsRunning(after.instances[0].pid)) << after.response.body;
}

void GatewayTest::StopGatewayAndExpectCleanExit() {
  auto& gw = gateway();
  const auto status = gw.Terminate(kStopTimeout);
  ASSERT_TRUE(status.has_value())
      << "the gateway did not exit within " << kStopTimeout.count()
      << " s of SIGTERM";
  EXPECT_TRUE(ExitedWithCode(*status, 0))
      << "gateway after SIGTERM: " << DescribeWaitStatus(*status);
}

std::string GatewayTest::AllGatewayOutput() const {
  std::string all;
  for (const auto& gw : gateways_) all += gw->Output();
  return all;
}

void GatewayTest::TearDown() {
  for (auto& gw : gateways_) {
    if (gw->HasExited()) continue;
    const auto status = gw->Terminate(kStopTimeout);
    if (!status.has_value()) {
      ADD_FAILURE() << "gateway pid " << gw->pid() << " did not exit within "
                    << kStopTimeout.count() << " s of SIGTERM";
      gw->Kill();
    } else {
      EXPECT_TRUE(ExitedWithCode(*status, 0))
          << "gateway after SIGTERM: " << DescribeWaitStatus(*status);
    }
  }
  // Whatever a gateway left running goes now (tests that care about it
  // have checked already).
  for (const auto& identity : seen_instances_) {
    if (IsRunning(identity)) kill(identity.pid, SIGKILL);
  }
  if (HasFailure()) {
    for (const auto& gw : gateways_) {
      std::string output = gw->Output();
      if (output.size() > kPrintedOutputChars) {
        output = "..." + output.substr(output.size() - kPrintedOutputChars);
      }
      std::cerr << "----- output of gateway pid " << gw->pid() << " ("
                << gw->config().log_file.string() << ") -----\n"
                << output << "\n----- end of gateway output -----\n";
    }
  }
}

}  // namespace mcpgw::it
