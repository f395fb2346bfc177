#pragma once
// Tenants and databases declared as Kubernetes custom resources
// (mcp-gateway.dev/v1alpha1 `Tenant` and `Database`, the CRDs in
// deploy/helm/mcp-gateway/crds/): reading and validating them, which
// databases a tenant selects, the TenantView the request path uses and its
// revision. Pure: the watches that feed it are runtime/kube_tenants.*.
//
// No credential ever reaches this code: a Database names the Secret keys of
// its user and password, and only the Secret's resourceVersion is known
// here (a rotation gives the tenant a new revision).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "policies/target.h"

namespace mcpgw::policies {

inline constexpr std::string_view kResourceGroup = "mcp-gateway.dev";
inline constexpr std::string_view kResourceVersion = "v1alpha1";

struct DatabaseResource {
  std::string name;
  std::map<std::string, std::string> labels;
  SourceConnection connection;
  // type://host:port/database (no credentials): for the DSN rules and logs.
  Dsn dsn;
};

// A Database object as the API server returns it. Errors are
// InvalidArgument naming the field ("spec.port: 1 to 65535"), for the
// resource's status; they never repeat a value that might be secret.
absl::StatusOr<DatabaseResource> ParseDatabase(const nlohmann::json& object);

struct TenantResource {
  std::string name;  // the tenant id
  std::map<std::string, std::string> match_labels;
  std::vector<std::string> database_names;
  TenantOptions options;  // defaultPolicy and limits
  // spec.auth.tokenSecretRef.name: a Secret whose values are SHA-256
  // hashes (hex) of the tenant's tokens. Empty: none.
  std::string token_secret;
  // spec.auth.oidcClaimValue: the identity claim value that names this
  // tenant (issue 17 wires it). Empty: none.
  std::string oidc_claim;
};

absl::StatusOr<TenantResource> ParseTenant(const nlohmann::json& object);

// A database is selected when the tenant names it, or when the tenant has
// matchLabels and the database carries all of them. An empty selector
// selects nothing (never "everything in the namespace").
bool Selects(const TenantResource& tenant, const DatabaseResource& database);

// The source id (and so DBHub's tool suffix, execute_sql_<id>) of a
// database: its name with '-' as '_' (names are checked to fit).
std::string SourceIdOf(std::string_view database_name);

// What a tenant is made of now.
struct DeclaredTenant {
  TenantView view;                     // the selected databases as sources
  std::vector<std::string> databases;  // their names, sorted
};

// `databases`: the namespace's valid databases. `secret_versions`: the
// resourceVersion of each Secret of the namespace (absent: not there). The
// revision is a digest of everything that shapes the instance: options,
// each selected database's fields and its credentials Secret's version.
// Identical on every gateway replica (instance keys, hence pods, are
// shared), and new whenever any of them changes.
DeclaredTenant BuildDeclaredTenant(
    const TenantResource& tenant, const std::vector<DatabaseResource>& databases,
    const std::map<std::string, std::string, std::less<>>& secret_versions);

// The token hashes of a tokens Secret's `data` (base64 values; each a hex
// SHA-256, several allowed per value, separated by white space). Keys
// whose value holds anything else are listed in `bad_keys` (never the
// value).
struct TokenHashes {
  std::vector<std::string> hashes;
  std::vector<std::string> bad_keys;
};
TokenHashes ParseTokenHashes(const nlohmann::json& secret_data);

}  // namespace mcpgw::policies
