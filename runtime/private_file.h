#pragma once
// A file the gateway writes for one instance (its DBHub config): created new
// (never replacing or following anything already there), with `mode`, and
// handed to the instance's uid/gid when one is given, so that the instance
// and nobody else may read it.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace mcpgw::runtime {

absl::Status WritePrivateFile(const std::filesystem::path& path,
                              const std::string& text, mode_t mode,
                              std::optional<std::pair<uid_t, gid_t>> owner);

}  // namespace mcpgw::runtime
