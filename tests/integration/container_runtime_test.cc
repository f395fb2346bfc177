// The container runtime's own promises (docker runs only): how a DBHub
// container is isolated and labelled, and the errors a client gets when the
// engine is unreachable or the image is missing.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/admin_api.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/http_client.h"
#include "test_support/mcp_client.h"
#include "test_support/postgres_server.h"
#include "test_support/sqlite_db.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

class ContainerRuntimeTest : public GatewayTest {
 protected:
  void SetUp() override {
    if (!UnderDockerRuntime()) GTEST_SKIP() << "containers only";
  }

  // Creates tenant `id` with `sources` ([{"id","dsn"}]) and returns a token.
  std::string CreateTenant(const std::string& id, const nlohmann::json& sources) {
    HttpClient http;
    const auto created =
        AdminRequest(http, gateway().admin_port(), AdminToken(), "POST",
                     "/admin/tenants", {{"id", id}, {"sources", sources}});
    EXPECT_EQ(created.status, 201) << created.Describe();
    const auto issued =
        AdminRequest(http, gateway().admin_port(), AdminToken(), "POST",
                     "/admin/tenants/" + id + "/tokens", nlohmann::json::object());
    EXPECT_EQ(issued.status, 201) << issued.Describe();
    return nlohmann::json::parse(issued.body, nullptr, false).value("token", "");
  }
};

struct FileFacts {
  bool exists = false;
  unsigned mode = 0;
  uid_t uid = 0;
};

FileFacts Stat(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {};
  return {true, static_cast<unsigned>(st.st_mode & 07777), st.st_uid};
}

constexpr int kBackendStartFailed = rpc_code::kBackendStartFailed;

std::string ReadProcStatus(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(ContainerRuntimeTest, ContainerIsIsolatedLimitedAndLabelledWithoutSecrets) {
  StartGateway({"--container-memory=300m", "--container-cpus=0.5",
                "--container-pids-limit=100"});
  const std::string dsn = NewSqliteDsn("isolated.db");
  ASSERT_EQ(Client(dsn).ListTools().status, 200);
  const auto snapshot = Instances();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  const auto& instance = snapshot.instances[0];
  EXPECT_EQ(instance.image, TestImage()) << snapshot.response.body;
  const auto inspect = InspectRaw(instance.container_id);
  ASSERT_TRUE(inspect.is_object()) << snapshot.response.body;

  const auto& config = inspect["Config"];
  const auto& host = inspect["HostConfig"];
  const std::string user = config.value("User", "");
  EXPECT_FALSE(user.empty() || user == "0" || user.rfind("0:", 0) == 0 ||
               user.rfind("root", 0) == 0)
      << "user " << user;
  EXPECT_TRUE(host.value("ReadonlyRootfs", false));
  // Engines spell "drop all capabilities" differently (Docker keeps "ALL",
  // Podman lists each one): what counts is what the process has.
  const std::string status = ReadProcStatus(instance.pid);
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos)
      << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_TRUE(host.value("Init", false));
  EXPECT_EQ(host.value("Memory", 0LL), 300LL * 1024 * 1024);
  EXPECT_EQ(host.value("NanoCpus", 0LL), 500'000'000LL);
  EXPECT_EQ(host.value("PidsLimit", 0LL), 100);
  EXPECT_EQ(host.value("NetworkMode", ""), "host");
  EXPECT_TRUE(host["Tmpfs"].contains("/tmp")) << host["Tmpfs"].dump();

  const auto& labels = config["Labels"];
  EXPECT_TRUE(labels.contains("mcp-gateway.gateway-id")) << labels.dump();
  EXPECT_EQ(labels.value("mcp-gateway.instance-id", ""), instance.id);
  EXPECT_EQ(labels.value("mcp-gateway.key-prefix", ""),
            instance.raw.value("key_prefix", "?"));
  EXPECT_TRUE(labels.contains("mcp-gateway.created-at")) << labels.dump();
  EXPECT_TRUE(DoesNotContain(labels.dump(), dsn));
  EXPECT_TRUE(DoesNotContain(config["Cmd"].dump(), dsn));
}

// A tenant's container: its DBHub config comes from a private host
// directory mounted read-only (the directory 0700 and the file 0400, both the
// container user's), the DSNs only through the environment; the directory
// goes with the container.
TEST_F(ContainerRuntimeTest, TenantContainerReadsItsConfigFromAPrivateReadOnlyMount) {
  auto& postgres = SharedPostgres();
  StartGateway();
  const std::string password = PostgresServer::kPassword;
  const std::string token = CreateTenant(
      "acme", {{{"id", "people"}, {"dsn", NewSqliteDsn("tenant.db")}},
               {{"id", "shop"}, {"dsn", postgres.Dsn()}}});
  McpClient tenant(gateway().mcp_url(), std::nullopt);
  tenant.AddHeader("Authorization: Bearer " + token);
  const auto rows = tenant.Call(
      "tools/call", {{"name", "execute_sql_shop"},
                     {"arguments", {{"sql", kProductsQuery}}}});
  ASSERT_EQ(rows.status, 200) << rows.Describe() << gateway().Output();
  EXPECT_EQ(ExecuteSqlRows(rows), ProductsRows()) << rows.Describe();

  const auto snapshot = Instances();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  const auto inspect = InspectRaw(snapshot.instances[0].container_id);
  ASSERT_TRUE(inspect.is_object());
  const auto& config = inspect["Config"];
  EXPECT_NE(config["Cmd"].dump().find("--config=/mcp-gateway/dbhub.toml"),
            std::string::npos)
      << config["Cmd"].dump();
  EXPECT_EQ(config["Labels"].value("mcp-gateway.dbhub-config", ""), "1");
  EXPECT_NE(config["Env"].dump().find("_DSN=" + postgres.Dsn()), std::string::npos);
  for (const char* part : {"Cmd", "Labels", "Entrypoint"}) {
    EXPECT_TRUE(DoesNotContain(config[part].dump(), password)) << part;
  }
  std::string source;
  for (const auto& mount : inspect["Mounts"]) {
    if (mount.value("Destination", "") != "/mcp-gateway") continue;
    source = mount.value("Source", "");
    EXPECT_FALSE(mount.value("RW", true)) << mount.dump();
  }
  ASSERT_FALSE(source.empty()) << inspect["Mounts"].dump();
  EXPECT_EQ(source.rfind(state_dir().string(), 0), 0u) << source;
  const auto dir = Stat(source);
  EXPECT_EQ(dir.mode, 0700u);
  EXPECT_EQ(dir.uid, 10001u);
  const auto file = Stat(source + "/dbhub.toml");
  EXPECT_EQ(file.mode, 0400u);
  EXPECT_EQ(file.uid, 10001u);
  std::ifstream in(source + "/dbhub.toml");
  const std::string toml((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(toml.find("${MCPGW_SOURCE_1_DSN}"), std::string::npos) << toml;
  EXPECT_TRUE(DoesNotContain(toml, password));

  // The tenant goes, its instance drains, the container and directory go.
  EXPECT_EQ(Admin("DELETE", "/admin/tenants/acme").status, 200);
  EXPECT_TRUE(WaitUntil([&] { return !Stat(source).exists; },
                        std::chrono::seconds(30)))
      << source << " outlived its container";
  StopGatewayAndExpectCleanExit();
}

// --docker-network: DBHub listens on the container's address on that
// network (what a remote engine needs), not on the host's loopback.
TEST_F(ContainerRuntimeTest, NamedNetworkServesFromTheContainersAddress) {
  const std::string network = "mcpgw-it-" + std::to_string(getpid());
  auto address = runtime::ParseDockerHost(TestDockerHost(), std::nullopt);
  ASSERT_TRUE(address.ok());
  const runtime::EngineClient engine(*address);
  const std::string create = R"({"Name":")" + network + R"("})";
  auto created = engine.Call("POST", "/networks/create", create,
                             std::chrono::seconds(30));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->status, 201) << created->body;

  StartGateway({"--docker-network=" + network});
  auto client = Client(NewSqliteDsn("network.db"));
  const auto response = client.ExecuteSql(kPeopleQuery);
  EXPECT_EQ(response.status, 200) << response.Describe();
  EXPECT_EQ(ExecuteSqlRows(response), PeopleRows()) << response.Describe();
  const auto snapshot = Instances();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  EXPECT_EQ(snapshot.instances[0].port, 8080) << snapshot.response.body;
  const auto inspect = InspectRaw(snapshot.instances[0].container_id);
  ASSERT_TRUE(inspect.is_object());
  // (Podman reports NetworkMode "bridge" and the name under Networks.)
  EXPECT_TRUE(inspect["NetworkSettings"]["Networks"].contains(network))
      << inspect["NetworkSettings"].dump();

  StopGatewayAndExpectCleanExit();
  auto removed = engine.Call("DELETE", "/networks/" + network, std::nullopt,
                             std::chrono::seconds(30));
  EXPECT_TRUE(removed.ok() && removed->status == 204)
      << (removed.ok() ? removed->body : std::string(removed.status().message()));
}

TEST_F(ContainerRuntimeTest, MissingImageIs502NamingTheImage) {
  const std::string image = "mcp-gateway/no-such-image:0";
  StartGateway({"--image=" + image});
  auto client = Client(NewSqliteDsn("noimage.db"));
  const auto response = client.ListTools();
  EXPECT_TRUE(IsJsonRpcErrorResponse(response, 502, kBackendStartFailed));
  EXPECT_NE(JsonRpcErrorMessage(response).find(image), std::string::npos)
      << response.Describe();
  EXPECT_NE(gateway().Output().find(image), std::string::npos);
}

TEST_F(ContainerRuntimeTest, UnreachableEngineIs502SayingSo) {
  const auto socket = temp() / "no-engine.sock";
  StartGateway({"--docker-host=unix://" + socket.string()});
  auto client = Client(NewSqliteDsn("noengine.db"));
  const auto response = client.ListTools();
  EXPECT_TRUE(IsJsonRpcErrorResponse(response, 502, kBackendStartFailed));
  EXPECT_NE(JsonRpcErrorMessage(response).find("cannot reach the container engine"),
            std::string::npos)
      << response.Describe();
  EXPECT_TRUE(Instances().instances.empty());
}

}  // namespace
}  // namespace mcpgw::it
