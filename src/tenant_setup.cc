#include "src/tenant_setup.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "policies/credential_cipher.h"
#include "policies/tenant_seed.h"
#include "src/state_dir.h"

namespace mcpgw {
namespace {

constexpr char kKeyEnv[] = "MCPGW_CREDENTIALS_KEY";
// For tests only (fault injection, tests/integration/tenants_test.cc): a
// path; every tenant-registry write then waits, before it touches the
// database, until that file exists (at most kWriteGateLimit), as if the
// disk were slow. Never set it in production.
constexpr char kWriteGateEnv[] = "MCPGW_TEST_ONLY_REGISTRY_WRITE_GATE";
constexpr std::chrono::seconds kWriteGateLimit{120};

void InstallWriteGate(policies::TenantRegistry& registry,
                      const common::Clock& clock) {
  const char* env = std::getenv(kWriteGateEnv);
  if (env == nullptr || *env == '\0') return;
  const std::filesystem::path gate(env);
  spdlog::warn("${} is set (tests only): tenant-registry writes wait for {}",
               kWriteGateEnv, gate.string());
  registry.SetWriteHookForTesting([gate, &clock] {
    const auto give_up = clock.Now() + kWriteGateLimit;
    std::error_code ignored;
    if (std::filesystem::exists(gate, ignored)) return;
    // Tests wait for this line to know a write is held.
    spdlog::info("tenant-registry write held until {} exists (test hook)",
                 gate.string());
    while (!std::filesystem::exists(gate, ignored) &&
           clock.Now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

absl::StatusOr<std::string> ReadKeyFile(const std::filesystem::path& path,
                                        bool generate) {
  auto text = LoadOrCreateTokenFile(path, generate);
  if (!text.ok()) return text.status();
  auto key = policies::ParseKeyText(*text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        text::Cat(path.string(), ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::string> CurrentKey(const Config& config) {
  if (!config.credentials_key_file.empty()) {
    return ReadKeyFile(config.credentials_key_file, false);
  }
  if (const char* env = std::getenv(kKeyEnv); env != nullptr && *env != '\0') {
    auto key = policies::ParseKeyText(env);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          text::Cat("$", kKeyEnv, ": ", key.status().message()));
    }
    return key;
  }
  return ReadKeyFile(config.state_dir / "credentials.key", true);
}

}  // namespace

gateway::GuardOptions GuardOptionsFrom(const Config& config) {
  gateway::GuardOptions options;
  options.dsn_tools.readonly = config.readonly;
  if (config.max_rows > 0) options.dsn_tools.max_rows = config.max_rows;
  options.dsn_rate = {config.rate_limit, config.rate_burst};
  options.tenant_rate = {config.tenant_rate_limit, config.tenant_rate_burst};
  options.max_concurrent_per_instance = config.max_concurrent_per_instance;
  options.max_queued_per_instance = config.max_queued_per_instance;
  return options;
}

absl::StatusOr<TenantSetup> OpenTenants(const Config& config,
                                        const common::Clock& clock) {
  TenantSetup setup;
  auto rules = policies::DsnPolicy::Create({config.allow_schemes,
                                            config.allow_hosts,
                                            config.deny_hosts,
                                            config.max_dsn_length,
                                            config.sqlite_dir.string(),
                                            {config.state_dir}});
  if (!rules.ok()) return rules.status();
  setup.rules = *std::move(rules);

  auto key = CurrentKey(config);
  if (!key.ok()) return key.status();
  std::vector<std::string> previous;
  if (!config.credentials_old_key_file.empty()) {
    auto old = ReadKeyFile(config.credentials_old_key_file, false);
    if (!old.ok()) return old.status();
    previous.push_back(*std::move(old));
  }
  auto cipher = policies::CredentialCipher::Create(*std::move(key),
                                                   std::move(previous));
  if (!cipher.ok()) return cipher.status();
  auto registry = policies::TenantRegistry::Open(
      config.state_dir / "tenants.db", *std::move(cipher));
  if (!registry.ok()) return registry.status();
  setup.registry = *std::move(registry);

  if (!config.tenants_file.empty()) {
    auto seeded = policies::SeedTenants(
        *setup.registry, config.tenants_file, setup.rules,
        [](const std::string& name) -> std::optional<std::string> {
          const char* value = std::getenv(name.c_str());
          if (value == nullptr) return std::nullopt;
          return std::string(value);
        });
    if (!seeded.ok()) return seeded.status();
    spdlog::info("tenants file {}: {} tenants created or changed, {} sources, "
                 "{} token hashes",
                 config.tenants_file.string(), seeded->tenants, seeded->sources,
                 seeded->tokens);
  }
  // After the seed file: only the admin API's writes wait.
  InstallWriteGate(*setup.registry, clock);
  if (!config.dsn_api_key_file.empty()) {
    auto api_key = LoadOrCreateTokenFile(config.dsn_api_key_file, false);
    if (!api_key.ok()) return api_key.status();
    setup.dsn_api_key = *std::move(api_key);
  }
  spdlog::info("tenant registry: {} tenants, schema v{}",
               setup.registry->List().size(), setup.registry->schema_version());
  return setup;
}

}  // namespace mcpgw
