#include "src/startup_secrets.h"

#include "src/state_dir.h"

namespace mcpgw {

absl::StatusOr<std::string> LoadKeySecret(const Config& config) {
  if (auto status = PrepareStateDir(config.state_dir); !status.ok()) return status;
  return config.secret_file.empty()
             ? LoadOrCreateSecret(config.state_dir)
             : LoadOrCreateTokenFile(config.secret_file, /*generate=*/false);
}

absl::StatusOr<StartupSecrets> LoadStartupSecrets(const Config& config,
                                                  std::string key_secret) {
  StartupSecrets loaded;
  loaded.secret = std::move(key_secret);
  loaded.effective = config;

  const bool generate_admin_token = config.admin_token_file.empty();
  if (generate_admin_token) {
    loaded.effective.admin_token_file = config.state_dir / "admin-token";
  }
  auto admin_token = LoadOrCreateTokenFile(loaded.effective.admin_token_file,
                                           generate_admin_token);
  if (!admin_token.ok()) return admin_token.status();
  loaded.admin_token = *std::move(admin_token);

  if (!config.webhooks.empty()) {
    const bool generate = config.webhook_secret_file.empty();
    if (generate) {
      loaded.effective.webhook_secret_file = config.state_dir / "webhook-secret";
    }
    auto webhook_secret =
        LoadOrCreateTokenFile(loaded.effective.webhook_secret_file, generate);
    if (!webhook_secret.ok()) return webhook_secret.status();
    loaded.webhook_secret = *std::move(webhook_secret);
  }
  return loaded;
}

}  // namespace mcpgw
