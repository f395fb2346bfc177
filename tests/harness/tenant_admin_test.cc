// Tenant admin on the admin listener (admin_handler.cc, tenant_admin.cc)
// and the MCP listener together: a tenant created through the API, its
// token used on /mcp, the instance launched for the tenant.

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "policies/credential_cipher.h"
#include "policies/target.h"
#include "policies/tenant_registry.h"
#include "tests/harness/fake_instance.h"
#include "tests/harness/fake_pool.h"
#include "tests/harness/gateway_under_test.h"
#include "tests/harness/mcp_messages.h"
#include "tests/harness/wait.h"

namespace mcpgw::harness {
namespace {

class TenantAdminHarness : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpgw-harness-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    auto cipher = policies::CredentialCipher::Create(std::string(32, 'k'));
    ASSERT_TRUE(cipher.ok());
    auto registry =
        policies::TenantRegistry::Open(dir_ / "tenants.db", *std::move(cipher));
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    HarnessOptions options;
    options.tenants = registry_.get();
    gateway_.emplace(pool_, options);
  }
  void TearDown() override {
    gateway_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  ClientResponse Admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body) {
    RawClient client(gateway_->admin_port());
    return client.Exchange(PostRequest(
        gateway_->admin_port(), path, body.dump(),
        HeaderList().Add("Authorization",
                         std::string("Bearer ") + kAdminToken),
        method));
  }

  ClientResponse Mcp(const std::string& token, int id) {
    RawClient client(gateway_->mcp_port());
    return client.Exchange(PostRequest(
        gateway_->mcp_port(), "/mcp", RpcRequest(id, "tools/list"),
        HeaderList().Add("Authorization", "Bearer " + token)));
  }

  std::filesystem::path dir_;
  std::unique_ptr<policies::TenantRegistry> registry_;
  FakeInstance instance_;
  FakePool pool_{{"127.0.0.1", instance_.port(), "instance-token"}};
  std::optional<GatewayUnderTest> gateway_;
};

TEST_F(TenantAdminHarness, CreatedTenantsTokenReachesTheInstance) {
  const auto created = Admin(
      "POST", "/admin/tenants",
      {{"id", "acme"}, {"sources", {{{"id", "main"}, {"dsn", kDsn}}}}});
  ASSERT_EQ(created.status / 100, 2u) << created.body;
  const auto issued =
      Admin("POST", "/admin/tenants/acme/tokens", {{"label", "harness"}});
  ASSERT_EQ(issued.status / 100, 2u) << issued.body;
  const std::string token = issued.Json().value("token", "");
  ASSERT_FALSE(token.empty());

  const auto answer = Mcp(token, 4);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(answer.Json()["id"], 4);

  // The tenant's token stays at the gateway; the pool was asked for the
  // tenant's instance (a generated DBHub config, not a bare DSN).
  const auto lists = instance_.requests("tools/list");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].Header("authorization"), "Bearer instance-token");
  EXPECT_EQ(lists[0].body.find(token), std::string::npos);
  const auto acquired = pool_.requests();
  ASSERT_EQ(acquired.size(), 1u);
  EXPECT_NE(acquired[0].redacted_target.find("acme"), std::string::npos)
      << acquired[0].redacted_target;
  EXPECT_FALSE(acquired[0].dbhub_config.empty());
  EXPECT_TRUE(WaitFor([&] { return pool_.outstanding() == 0; }));
}

TEST_F(TenantAdminHarness, UnknownOrRevokedTokenNeverReachesThePool) {
  const auto refused = Mcp("not-a-token", 1);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.Json()["error"]["code"], policies::rpc_code::kUnauthorized);

  ASSERT_EQ(Admin("POST", "/admin/tenants",
                  {{"id", "acme"},
                   {"sources", {{{"id", "main"}, {"dsn", kDsn}}}}})
                    .status / 100,
            2u);
  const auto issued = Admin("POST", "/admin/tenants/acme/tokens", nlohmann::json::object()).Json();
  const std::string token = issued.value("token", "");
  const std::string token_id = issued.value("id", "");
  ASSERT_FALSE(token.empty());
  ASSERT_FALSE(token_id.empty()) << issued.dump();
  ASSERT_EQ(Mcp(token, 2).status, 200u);
  ASSERT_EQ(Admin("DELETE", "/admin/tenants/acme/tokens/" + token_id, nlohmann::json::object())
                    .status / 100,
            2u);
  EXPECT_EQ(Mcp(token, 3).status, 401u);
  EXPECT_EQ(pool_.requests().size(), 1u);
}

TEST_F(TenantAdminHarness, AdminApiNeedsTheAdminToken) {
  RawClient client(gateway_->admin_port());
  const auto refused = client.Exchange(PostRequest(
      gateway_->admin_port(), "/admin/tenants",
      nlohmann::json{{"id", "acme"}}.dump(),
      HeaderList().Add("Authorization", "Bearer wrong")));
  EXPECT_EQ(refused.status, 401u);
  EXPECT_FALSE(registry_->Get("acme").has_value());
}

}  // namespace
}  // namespace mcpgw::harness
