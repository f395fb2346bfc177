#pragma once
// The gateway's state directory: its key secret and the file that tells
// scripts and tests where it listens.

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mcpgw {

// Creates the directory (and parents) and makes it private (0700).
absl::Status PrepareStateDir(const std::filesystem::path& dir);

// The secret that keys instances (HMAC), generated once into
// `<dir>/secret` (0600) and reused by every later start.
absl::StatusOr<std::string> LoadOrCreateSecret(const std::filesystem::path& dir);

// Writes `<dir>/listen.json` atomically: {"mcp":"HOST:PORT","admin":...,"pid":N}.
absl::Status WriteListenFile(const std::filesystem::path& dir,
                             const std::string& mcp, const std::string& admin);

}  // namespace mcpgw
