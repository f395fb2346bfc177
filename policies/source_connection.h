#pragma once
// A database reached through connection fields rather than a DSN: what a
// Kubernetes `Database` resource declares. The gateway never holds its
// user or password: they stay in the user's Secret, named here, and reach
// DBHub through the pod's environment (secretKeyRef) and `${VAR}` fields of
// its TOML config. Nothing in this struct is secret.

#include <optional>
#include <string>

namespace mcpgw::policies {

// Where a database's user and password are: keys of a Secret in the
// namespace of the resources.
struct CredentialsRef {
  std::string secret = {};
  std::string user_key = {};
  std::string password_key = {};
};

struct SourceConnection {
  std::string type = {};      // postgres, mysql, mariadb, sqlserver, sqlite
  std::string host = {};      // empty for sqlite
  std::optional<int> port = {};
  std::string database = {};  // a file path for sqlite
  std::optional<CredentialsRef> credentials = {};
  std::string ssl_mode = {};  // empty: DBHub's default
  std::optional<int> connection_timeout_seconds = {};
  std::optional<int> query_timeout_seconds = {};
  // This database's own policy; unset: the tenant's default policy.
  std::optional<bool> readonly = {};
  std::optional<int> max_rows = {};
};

}  // namespace mcpgw::policies
