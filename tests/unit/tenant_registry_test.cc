#include "policies/tenant_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <thread>

#include "common/random_token.h"
#include "policies/tenant_seed.h"

namespace mcpgw::policies {
namespace {

std::string Key(char fill) { return std::string(32, fill); }

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpgw-registry-" + common::RandomHex(6));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<TenantRegistry> Open(std::string key,
                                       std::vector<std::string> old = {}) {
    auto cipher = CredentialCipher::Create(std::move(key), std::move(old));
    EXPECT_TRUE(cipher.ok());
    auto registry = TenantRegistry::Open(db(), *std::move(cipher));
    EXPECT_TRUE(registry.ok()) << registry.status();
    return registry.ok() ? *std::move(registry) : nullptr;
  }
  std::filesystem::path db() const { return dir_ / "tenants.db"; }
  // Every byte of the database and its WAL.
  std::string FileBytes() const {
    std::string all;
    for (const auto* suffix : {"", "-wal"}) {
      std::ifstream in(db().string() + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }

  std::filesystem::path dir_;
};

constexpr char kDsn[] = "postgres://app:Sup3rS3cretPw@db.internal:5432/sales";

TEST_F(TenantRegistryTest, TokenFindsItsTenantAndRevocationEndsIt) {
  auto registry = Open(Key('a'));
  ASSERT_TRUE(registry->Create("acme", {}).ok());
  ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
  auto token = registry->IssueToken("acme", "ci");
  ASSERT_TRUE(token.ok());
  auto view = registry->FindByToken(token->token);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->id, "acme");
  ASSERT_EQ(view->sources.size(), 1u);
  EXPECT_EQ(view->sources[0].dsn.original, kDsn);
  EXPECT_FALSE(registry->FindByToken(token->token + "x"));
  ASSERT_TRUE(registry->RevokeToken("acme", token->id).ok());
  EXPECT_FALSE(registry->FindByToken(token->token));
  EXPECT_TRUE(absl::IsNotFound(registry->RevokeToken("acme", token->id)));
}

TEST_F(TenantRegistryTest, EditsBumpTheRevisionUnchangedSourcesDoNot) {
  auto registry = Open(Key('a'));
  ASSERT_TRUE(registry->Create("acme", {}).ok());
  auto r1 = registry->PutSource("acme", "sales", *ParseDsn(kDsn));
  auto r2 = registry->PutSource("acme", "sales", *ParseDsn(kDsn));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->revision, r2->revision);
  TenantOptions options;
  options.readonly = true;
  auto r3 = registry->UpdateOptions("acme", options);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->revision, r2->revision + 1);
  auto r4 = registry->DeleteSource("acme", "sales");
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(r4->revision, r3->revision + 1);
  EXPECT_TRUE(registry->Create("acme", {}).status().code() ==
              absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(registry->Create("Bad Id", {}).ok());
}

TEST_F(TenantRegistryTest, SurvivesReopeningWithNothingLost) {
  std::string token;
  {
    auto registry = Open(Key('a'));
    TenantOptions options;
    options.max_rows = 10;
    ASSERT_TRUE(registry->Create("acme", options).ok());
    ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
    token = registry->IssueToken("acme", "")->token;
  }
  auto registry = Open(Key('a'));
  auto view = registry->FindByToken(token);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->options.max_rows, 10);
  EXPECT_EQ(view->sources.at(0).dsn.original, kDsn);
  EXPECT_EQ(registry->schema_version(), 1);
}

TEST_F(TenantRegistryTest, DatabaseHoldsNoPlaintextDsnOrToken) {
  std::string token;
  {
    auto registry = Open(Key('a'));
    ASSERT_TRUE(registry->Create("acme", {}).ok());
    ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
    token = registry->IssueToken("acme", "")->token;
    const std::string bytes = FileBytes();
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find("Sup3rS3cretPw"), std::string::npos);
    EXPECT_EQ(bytes.find("db.internal"), std::string::npos);
    EXPECT_EQ(bytes.find(token), std::string::npos);
    EXPECT_EQ(bytes.find(token.substr(4)), std::string::npos);
  }
}

TEST_F(TenantRegistryTest, WrongKeyDoesNotOpen) {
  {
    auto registry = Open(Key('a'));
    ASSERT_TRUE(registry->Create("acme", {}).ok());
    ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
  }
  auto cipher = CredentialCipher::Create(Key('b'));
  auto registry = TenantRegistry::Open(db(), *std::move(cipher));
  EXPECT_FALSE(registry.ok());
}

TEST_F(TenantRegistryTest, RotationResealsUnderTheNewKey) {
  {
    auto registry = Open(Key('a'));
    ASSERT_TRUE(registry->Create("acme", {}).ok());
    ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
  }
  {
    // New key, old key still readable: opening re-seals.
    auto registry = Open(Key('b'), {Key('a')});
    ASSERT_NE(registry, nullptr);
    EXPECT_EQ(registry->Get("acme")->sources.at(0).dsn.original, kDsn);
    EXPECT_EQ(*registry->Reseal(), 0);  // nothing left under the old key
  }
  // The old key is no longer needed.
  auto registry = Open(Key('b'));
  ASSERT_NE(registry, nullptr);
  EXPECT_EQ(registry->Get("acme")->sources.at(0).dsn.original, kDsn);
}

TEST_F(TenantRegistryTest, SeedFileCreatesAndUpdates) {
  auto registry = Open(Key('a'));
  const auto file = dir_ / "tenants.toml";
  std::ofstream(file) << R"(
[[tenants]]
id = "acme"
readonly = true
max_rows = 5
token_sha256 = [")" << Sha256Hex("mgw_seeded") << R"("]
[[tenants.sources]]
id = "sales"
dsn = "${SALES_DSN}"
)";
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SALES_DSN") return std::string(kDsn);
    return std::nullopt;
  };
  auto seeded = SeedTenants(*registry, file, DsnPolicy(), env);
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  auto view = registry->FindByToken("mgw_seeded");
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->options.readonly);
  EXPECT_EQ(view->sources.at(0).dsn.original, kDsn);
  const auto revision = view->revision;
  // Seeding again changes nothing.
  ASSERT_TRUE(SeedTenants(*registry, file, DsnPolicy(), env).ok());
  EXPECT_EQ(registry->Get("acme")->revision, revision);
  // An unset variable is named, the DSN never shown.
  auto missing = SeedTenants(
      *registry, file, DsnPolicy(),
      [](const std::string&) -> std::optional<std::string> { return {}; });
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("SALES_DSN"),
            std::string::npos);
}

// Everything the in-memory copy holds, sources in full (the registry's
// whole view as the request path and the admin API read it).
nlohmann::json View(const TenantRegistry& registry) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& tenant : registry.List()) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& source : tenant.sources) {
      sources.push_back({source.id, source.dsn.original});
    }
    nlohmann::json tokens = nlohmann::json::array();
    for (const auto& token : tenant.tokens) {
      tokens.push_back({token.id, token.label, token.created_at,
                        token.revoked_at.value_or("")});
    }
    nlohmann::json json = {{"id", tenant.id},
                           {"revision", tenant.revision},
                           {"options", TenantOptionsToJson(tenant.options)},
                           {"sources", sources},
                           {"tokens", tokens},
                           {"created_at", tenant.created_at},
                           {"updated_at", tenant.updated_at}};
    all.push_back(json);
  }
  return all;
}

// Writes update only the tenant they change; after any series of them the
// in-memory copy is what a full reload of the database gives (a second
// registry opened on the same file), and tokens find the same tenants.
TEST_F(TenantRegistryTest, IncrementalUpdatesEqualAFullReload) {
  auto registry = Open(Key('a'));
  auto expect_same_as_reload = [&](const std::string& step) {
    auto reloaded = Open(Key('a'));
    ASSERT_NE(reloaded, nullptr);
    EXPECT_EQ(View(*registry), View(*reloaded)) << "after " << step;
  };
  TenantOptions capped;
  capped.max_rows = 7;
  ASSERT_TRUE(registry->Create("acme", capped).ok());
  ASSERT_TRUE(registry->Create("beta", {}).ok());
  ASSERT_TRUE(registry->Create("gamma", {}).ok());
  expect_same_as_reload("create");
  ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
  ASSERT_TRUE(registry->PutSource("acme", "audit",
                                  *ParseDsn("postgres://u:p@h:5432/audit")).ok());
  ASSERT_TRUE(registry->PutSource("beta", "main",
                                  *ParseDsn("mysql://u:p@h:3306/main")).ok());
  expect_same_as_reload("put source");
  auto acme_token = registry->IssueToken("acme", "ci");
  auto acme_second = registry->IssueToken("acme", "ops");
  auto beta_token = registry->IssueToken("beta", "");
  ASSERT_TRUE(acme_token.ok() && acme_second.ok() && beta_token.ok());
  ASSERT_TRUE(registry->AddTokenHash("gamma", Sha256Hex("mgw_seeded"), "seed").ok());
  expect_same_as_reload("tokens");
  ASSERT_TRUE(registry->RevokeToken("acme", acme_token->id).ok());
  TenantOptions readonly;
  readonly.readonly = true;
  ASSERT_TRUE(registry->UpdateOptions("beta", readonly).ok());
  ASSERT_TRUE(registry->PutSource("acme", "sales",
                                  *ParseDsn("postgres://u:q@other:5432/sales")).ok());
  ASSERT_TRUE(registry->DeleteSource("acme", "audit").ok());
  expect_same_as_reload("edits");
  ASSERT_TRUE(registry->Delete("gamma").ok());
  expect_same_as_reload("delete");
  // Failed writes leave the copy as it was.
  EXPECT_FALSE(registry->Create("acme", {}).ok());
  EXPECT_FALSE(registry->DeleteSource("acme", "nope").ok());
  EXPECT_FALSE(registry->RevokeToken("acme", acme_token->id).ok());
  expect_same_as_reload("failed writes");

  EXPECT_FALSE(registry->FindByToken(acme_token->token));
  EXPECT_EQ(registry->FindByToken(acme_second->token)->id, "acme");
  EXPECT_EQ(registry->FindByToken(beta_token->token)->id, "beta");
  EXPECT_TRUE(registry->FindByToken(beta_token->token)->options.readonly);
  EXPECT_FALSE(registry->FindByToken("mgw_seeded"));  // its tenant is gone
  EXPECT_FALSE(registry->FindById("gamma"));
  // A tenant created again under a deleted one's id starts clean.
  ASSERT_TRUE(registry->Create("gamma", {}).ok());
  EXPECT_TRUE(registry->Get("gamma")->tokens.empty());
  expect_same_as_reload("re-create");
}

// A write held up in the store (the test hook standing for a slow disk)
// holds up other writes, never readers: token look-ups and lists answer
// while it waits.
TEST_F(TenantRegistryTest, SlowWriteDoesNotBlockReaders) {
  auto registry = Open(Key('a'));
  ASSERT_TRUE(registry->Create("acme", {}).ok());
  ASSERT_TRUE(registry->PutSource("acme", "sales", *ParseDsn(kDsn)).ok());
  auto token = registry->IssueToken("acme", "");
  ASSERT_TRUE(token.ok());

  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false, released = false;
  registry->SetWriteHookForTesting([&] {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return released; });
  });
  auto write = std::async(std::launch::async, [&] {
    return registry->PutSource("acme", "audit",
                               *ParseDsn("postgres://u:p@h:5432/audit"));
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30),
                                 [&] { return entered; }));
  }
  // The write is blocked in the store now; readers see the old state.
  auto view = registry->FindByToken(token->token);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->sources.size(), 1u);
  EXPECT_EQ(registry->List().size(), 1u);
  EXPECT_TRUE(registry->Get("acme").has_value());
  EXPECT_EQ(write.wait_for(std::chrono::milliseconds(0)),
            std::future_status::timeout);
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  changed.notify_all();
  auto written = write.get();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->sources.size(), 2u);
  EXPECT_EQ(registry->FindByToken(token->token)->sources.size(), 2u);
  registry->SetWriteHookForTesting(nullptr);
}

TEST(CredentialCipher, SealOpenAndContextBinding) {
  auto cipher = CredentialCipher::Create(Key('k'));
  ASSERT_TRUE(cipher.ok());
  auto sealed = cipher->Seal("secret", "acme/sales");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("secret"), std::string::npos);
  EXPECT_EQ(*cipher->Open(*sealed, "acme/sales", cipher->key_id()), "secret");
  EXPECT_FALSE(cipher->Open(*sealed, "other/sales", cipher->key_id()).ok());
  std::string tampered = *sealed;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(cipher->Open(tampered, "acme/sales", cipher->key_id()).ok());
  EXPECT_FALSE(CredentialCipher::Create("short").ok());
  EXPECT_TRUE(ParseKeyText(std::string(64, 'f') + "\n").ok());
  EXPECT_FALSE(ParseKeyText("zz").ok());
}

}  // namespace
}  // namespace mcpgw::policies
