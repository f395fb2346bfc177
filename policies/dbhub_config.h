#pragma once
// DBHub's multi-source TOML config (DBHub 1.4.0, `--config`): one
// [[sources]] entry per database, [[tools]] entries for readonly and
// max_rows. Secrets never appear in the text: each DSN is `${VAR}`, which
// DBHub interpolates from its environment. Pure.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "policies/source_connection.h"

namespace mcpgw::policies {

struct ToolPolicy {
  bool readonly = false;
  std::optional<int> max_rows = {};
  bool restricts() const { return readonly || max_rows.has_value(); }
};

struct ConfigSource {
  std::string id;       // [a-z0-9_], see ValidSourceId
  std::string env_var;  // the variable that holds its DSN (DSN sources)
  // Set: DBHub connects with these fields instead of a DSN (`env_var` is
  // unused); the user and password are `${user_var}` and `${password_var}`.
  std::optional<SourceConnection> connection = {};
  std::string user_var = {};
  std::string password_var = {};
  // This source's own tool policy; unset: the one given for all.
  std::optional<ToolPolicy> tools = {};
};

// The TOML text. A source without restrictions gets no [[tools]] (DBHub
// then enables its default tools); with them execute_sql carries readonly
// and max_rows and search_objects stays enabled. Connection fields are
// written as TOML strings, escaped; they were validated before (no `${`).
std::string DbhubConfigToml(const std::vector<ConfigSource>& sources,
                            const ToolPolicy& tools);

// Source ids become parts of DBHub's tool names (execute_sql_<id>) and of
// the generated TOML: lower-case letters, digits and '_', 1 to 32 long.
absl::Status ValidSourceId(std::string_view id);

}  // namespace mcpgw::policies
