#include "policies/tenant_registry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "policies/random_token.h"
#include "policies/tenant_seed.h"

namespace mcpgw::policies {
namespace {

std::string Key(char fill) { return std::string(32, fill); }

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpgw-registry-" + RandomHex(6));
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
