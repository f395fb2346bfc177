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

// A token or key kept in a file: read from `path` if it exists (at least
// 32 characters), else, when `generate`, created there (0600) with `bytes`
// random bytes in hex. Used for the admin token and the webhook secret.
absl::StatusOr<std::string> LoadOrCreateTokenFile(
    const std::filesystem::path& path, bool generate,
    std::size_t bytes = 32);

// Writes `<dir>/listen.json` atomically: {"mcp":"HOST:PORT","admin":...,"pid":N}
// and "oauth" when the OAuth listener is on.
absl::Status WriteListenFile(const std::filesystem::path& dir,
                             const std::string& mcp, const std::string& admin,
                             const std::string& oauth = {});

}  // namespace mcpgw
