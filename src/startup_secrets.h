#pragma once
// Start-up, first step: the secrets the gateway keys everything with, read
// from the state directory or the files the flags name (generated when
// missing and allowed), and the configuration as it then is in effect (the
// generated files' paths filled in).

#include <string>

#include "absl/status/statusor.h"
#include "src/config.h"

namespace mcpgw {

struct StartupSecrets {
  std::string secret;          // instance keys, sealed sessions, gateway id
  std::string admin_token;     // the admin API's bearer token
  std::string webhook_secret;  // signs webhook bodies; empty without webhooks
  Config effective;            // `config` with the generated files' paths
};

// The key secret alone (what --kube-cleanup needs); prepares the state
// directory first. Errors name the file, never its content.
absl::StatusOr<std::string> LoadKeySecret(const Config& config);

// The tokens serving needs, beside the key secret already loaded.
absl::StatusOr<StartupSecrets> LoadStartupSecrets(const Config& config,
                                                  std::string key_secret);

}  // namespace mcpgw
