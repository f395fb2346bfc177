#include "policies/declared_tenants.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/text.h"
#include "policies/credential_cipher.h"
#include "policies/dbhub_config.h"
#include "policies/instance_key.h"
#include "policies/tenant_registry.h"

namespace mcpgw::policies {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxDatabaseField = 1024;
constexpr int kMaxTimeoutSeconds = 3600;

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(text::Cat(field, ": ", why));
}

// A field of `parent` that must be of `type` when present; null when absent.
const json* Field(const json& parent, const char* name) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(name);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> String(const json& parent, const char* name,
                                   std::string_view path) {
  const json* value = Field(parent, name);
  if (value == nullptr) return std::string();
  if (!value->is_string()) return Invalid(path, "must be a string");
  return value->get<std::string>();
}

absl::StatusOr<std::optional<int>> PositiveInt(const json& parent, const char* name,
                                               std::string_view path, int max) {
  const json* value = Field(parent, name);
  if (value == nullptr) return std::optional<int>();
  if (!value->is_number_integer() || value->get<std::int64_t>() < 1 ||
      value->get<std::int64_t>() > max) {
    return Invalid(path, text::Cat("must be an integer from 1 to ", max));
  }
  return std::optional<int>(value->get<int>());
}

absl::StatusOr<std::optional<bool>> Bool(const json& parent, const char* name,
                                         std::string_view path) {
  const json* value = Field(parent, name);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_boolean()) return Invalid(path, "must be true or false");
  return std::optional<bool>(value->get<bool>());
}

// Text that goes into DBHub's config: printable, and never `${`, which
// DBHub would fill from the pod's environment (its token, credentials).
absl::Status PlainText(std::string_view value, std::string_view path) {
  if (value.size() > kMaxDatabaseField) {
    return Invalid(path, text::Cat("longer than ", kMaxDatabaseField, " characters"));
  }
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Invalid(path, "holds a control character");
    }
  }
  if (text::Contains(value, "${")) return Invalid(path, "may not contain ${");
  return absl::OkStatus();
}

// Secret names (DNS-1123 subdomains) and keys ([-._a-zA-Z0-9]).
bool IsSecretName(std::string_view name) {
  return !name.empty() && name.size() <= 253 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") ==
             std::string_view::npos &&
         name.front() != '-' && name.front() != '.' && name.back() != '-' &&
         name.back() != '.';
}
bool IsSecretKey(std::string_view key) {
  return !key.empty() && key.size() <= 253 &&
         key.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
             std::string_view::npos;
}

bool IsHost(std::string_view host) {
  return !host.empty() && host.size() <= 253 &&
         host.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]") ==
             std::string_view::npos;
}

std::map<std::string, std::string> Labels(const json& metadata) {
  std::map<std::string, std::string> labels;
  const json* found = Field(metadata, "labels");
  if (found == nullptr || !found->is_object()) return labels;
  for (const auto& [key, value] : found->items()) {
    if (value.is_string()) labels[key] = value.get<std::string>();
  }
  return labels;
}

absl::StatusOr<CredentialsRef> ParseCredentials(const json& ref) {
  if (!ref.is_object()) return Invalid("spec.credentialsRef", "must be an object");
  CredentialsRef credentials;
  auto name = String(ref, "name", "spec.credentialsRef.name");
  if (!name.ok()) return name.status();
  if (!IsSecretName(*name)) {
    return Invalid("spec.credentialsRef.name", "must name a Secret");
  }
  credentials.secret = *name;
  auto user = String(ref, "userKey", "spec.credentialsRef.userKey");
  if (!user.ok()) return user.status();
  credentials.user_key = user->empty() ? "username" : *user;
  auto password = String(ref, "passwordKey", "spec.credentialsRef.passwordKey");
  if (!password.ok()) return password.status();
  credentials.password_key = password->empty() ? "password" : *password;
  if (!IsSecretKey(credentials.user_key)) {
    return Invalid("spec.credentialsRef.userKey", "must be a Secret key");
  }
  if (!IsSecretKey(credentials.password_key)) {
    return Invalid("spec.credentialsRef.passwordKey", "must be a Secret key");
  }
  return credentials;
}

std::string PercentEncoded(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

// type://host:port/database without credentials: what the DSN rules check
// (hosts, schemes, the SQLite directory) and what logs show.
absl::StatusOr<Dsn> DsnOf(const SourceConnection& c) {
  std::string text;
  if (c.type == "sqlite") {
    text = text::Cat("sqlite://", c.database);
  } else {
    text = text::Cat(c.type, "://", c.host, c.port ? text::Cat(":", *c.port) : "",
                     "/", PercentEncoded(c.database));
  }
  auto dsn = ParseDsn(text);
  if (!dsn.ok()) return Invalid("spec", std::string(dsn.status().message()));
  return dsn;
}

const std::set<std::string, std::less<>>& DatabaseTypes() {
  static const std::set<std::string, std::less<>> types = {
      "postgres", "mysql", "mariadb", "sqlserver", "sqlite"};
  return types;
}

const std::set<std::string, std::less<>>& SslModes() {
  static const std::set<std::string, std::less<>> modes = {
      "disable", "require", "verify-ca", "verify-full"};
  return modes;
}

}  // namespace

std::string SourceIdOf(std::string_view database_name) {
  std::string id(database_name);
  std::replace(id.begin(), id.end(), '-', '_');
  return id;
}

absl::StatusOr<DatabaseResource> ParseDatabase(const json& object) {
  if (!object.is_object()) return Invalid("Database", "not an object");
  DatabaseResource database;
  const json metadata = object.value("metadata", json::object());
  database.name = metadata.value("name", std::string());
  if (auto id = ValidSourceId(SourceIdOf(database.name)); !id.ok()) {
    return Invalid("metadata.name",
                   "a Database name is 1 to 32 characters of a-z, 0-9 and '-' "
                   "(it names DBHub's tools: execute_sql_<name>)");
  }
  database.labels = Labels(metadata);
  const json spec = object.value("spec", json::object());
  if (!spec.is_object()) return Invalid("spec", "must be an object");
  auto& c = database.connection;

  auto type = String(spec, "type", "spec.type");
  if (!type.ok()) return type.status();
  if (!DatabaseTypes().contains(*type)) {
    return Invalid("spec.type",
                   "must be one of postgres, mysql, mariadb, sqlserver, sqlite");
  }
  c.type = *type;
  auto host = String(spec, "host", "spec.host");
  if (!host.ok()) return host.status();
  c.host = *host;
  auto name = String(spec, "database", "spec.database");
  if (!name.ok()) return name.status();
  c.database = *name;
  if (c.database.empty()) return Invalid("spec.database", "is required");
  if (auto plain = PlainText(c.database, "spec.database"); !plain.ok()) return plain;
  auto port = PositiveInt(spec, "port", "spec.port", 65535);
  if (!port.ok()) return port.status();
  c.port = *port;
  auto ssl = String(spec, "sslMode", "spec.sslMode");
  if (!ssl.ok()) return ssl.status();
  if (!ssl->empty() && !SslModes().contains(*ssl)) {
    return Invalid("spec.sslMode", "must be disable, require, verify-ca or verify-full");
  }
  c.ssl_mode = *ssl;
  auto connect = PositiveInt(spec, "connectionTimeout", "spec.connectionTimeout",
                             kMaxTimeoutSeconds);
  if (!connect.ok()) return connect.status();
  c.connection_timeout_seconds = *connect;
  auto query = PositiveInt(spec, "queryTimeout", "spec.queryTimeout", kMaxTimeoutSeconds);
  if (!query.ok()) return query.status();
  c.query_timeout_seconds = *query;
  auto readonly = Bool(spec, "readonly", "spec.readonly");
  if (!readonly.ok()) return readonly.status();
  c.readonly = *readonly;
  auto max_rows = PositiveInt(spec, "maxRows", "spec.maxRows", 1'000'000'000);
  if (!max_rows.ok()) return max_rows.status();
  c.max_rows = *max_rows;
  if (const json* ref = Field(spec, "credentialsRef")) {
    auto credentials = ParseCredentials(*ref);
    if (!credentials.ok()) return credentials.status();
    c.credentials = *credentials;
  }

  if (c.type == "sqlite") {
    if (!c.host.empty() || c.port) {
      return Invalid("spec.host", "a sqlite database is a file: no host or port");
    }
    if (c.credentials) {
      return Invalid("spec.credentialsRef", "a sqlite database has no credentials");
    }
    if (!c.ssl_mode.empty()) return Invalid("spec.sslMode", "sqlite has no TLS");
    if (c.database.front() != '/') {
      return Invalid("spec.database", "a sqlite database is an absolute file path");
    }
  } else {
    if (c.host.empty()) return Invalid("spec.host", "is required");
    if (!IsHost(c.host)) return Invalid("spec.host", "is not a host name or address");
    if (!c.credentials) {
      return Invalid("spec.credentialsRef",
                     text::Cat("is required for ", c.type,
                               " (the Secret with its user and password)"));
    }
  }
  auto dsn = DsnOf(c);
  if (!dsn.ok()) return dsn.status();
  database.dsn = *std::move(dsn);
  return database;
}

absl::StatusOr<TenantResource> ParseTenant(const json& object) {
  if (!object.is_object()) return Invalid("Tenant", "not an object");
  TenantResource tenant;
  const json metadata = object.value("metadata", json::object());
  tenant.name = metadata.value("name", std::string());
  if (auto id = ValidTenantId(tenant.name); !id.ok()) {
    return Invalid("metadata.name", std::string(id.message()));
  }
  const json spec = object.value("spec", json::object());
  if (!spec.is_object()) return Invalid("spec", "must be an object");

  const json* selector = Field(spec, "databaseSelector");
  if (selector == nullptr || !selector->is_object()) {
    return Invalid("spec.databaseSelector", "is required: matchLabels and/or names");
  }
  if (const json* labels = Field(*selector, "matchLabels")) {
    if (!labels->is_object()) {
      return Invalid("spec.databaseSelector.matchLabels", "must be a map of strings");
    }
    for (const auto& [key, value] : labels->items()) {
      if (!value.is_string()) {
        return Invalid("spec.databaseSelector.matchLabels", "must be a map of strings");
      }
      tenant.match_labels[key] = value.get<std::string>();
    }
  }
  if (const json* names = Field(*selector, "names")) {
    if (!names->is_array()) {
      return Invalid("spec.databaseSelector.names", "must be a list of Database names");
    }
    for (const auto& name : *names) {
      if (!name.is_string()) {
        return Invalid("spec.databaseSelector.names", "must be a list of Database names");
      }
      tenant.database_names.push_back(name.get<std::string>());
    }
  }
  if (tenant.match_labels.empty() && tenant.database_names.empty()) {
    return Invalid("spec.databaseSelector", "selects nothing: give matchLabels or names");
  }

  const json policy = spec.value("defaultPolicy", json::object());
  auto readonly = Bool(policy, "readonly", "spec.defaultPolicy.readonly");
  if (!readonly.ok()) return readonly.status();
  tenant.options.readonly = readonly->value_or(false);
  auto max_rows = PositiveInt(policy, "maxRows", "spec.defaultPolicy.maxRows",
                              1'000'000'000);
  if (!max_rows.ok()) return max_rows.status();
  tenant.options.max_rows = *max_rows;

  const json limits = spec.value("limits", json::object());
  auto instances = PositiveInt(limits, "instances", "spec.limits.instances", 1000);
  if (!instances.ok()) return instances.status();
  tenant.options.max_instances = *instances;
  for (const auto& [name, target] :
       {std::pair{"ratePerSecond", &tenant.options.rate_per_second},
        std::pair{"rateBurst", &tenant.options.rate_burst}}) {
    const json* rate = Field(limits, name);
    if (rate == nullptr) continue;
    if (!rate->is_number() || rate->get<double>() <= 0) {
      return Invalid(text::Cat("spec.limits.", name), "must be a number above 0");
    }
    *target = rate->get<double>();
  }
  auto idle = PositiveInt(limits, "idleTimeoutSeconds", "spec.limits.idleTimeoutSeconds",
                          7 * 24 * 3600);
  if (!idle.ok()) return idle.status();
  if (*idle) tenant.options.idle_timeout = std::chrono::seconds(**idle);

  const json auth = spec.value("auth", json::object());
  if (const json* ref = Field(auth, "tokenSecretRef")) {
    auto name = String(*ref, "name", "spec.auth.tokenSecretRef.name");
    if (!name.ok()) return name.status();
    if (!IsSecretName(*name)) {
      return Invalid("spec.auth.tokenSecretRef.name", "must name a Secret");
    }
    tenant.token_secret = *name;
  }
  auto claim = String(auth, "oidcClaimValue", "spec.auth.oidcClaimValue");
  if (!claim.ok()) return claim.status();
  tenant.oidc_claim = *claim;
  return tenant;
}

bool Selects(const TenantResource& tenant, const DatabaseResource& database) {
  if (std::find(tenant.database_names.begin(), tenant.database_names.end(),
                database.name) != tenant.database_names.end()) {
    return true;
  }
  if (tenant.match_labels.empty()) return false;
  for (const auto& [key, value] : tenant.match_labels) {
    auto it = database.labels.find(key);
    if (it == database.labels.end() || it->second != value) return false;
  }
  return true;
}

DeclaredTenant BuildDeclaredTenant(
    const TenantResource& tenant, const std::vector<DatabaseResource>& databases,
    const std::map<std::string, std::string, std::less<>>& secret_versions) {
  DeclaredTenant declared;
  declared.view.id = tenant.name;
  declared.view.options = tenant.options;
  std::vector<const DatabaseResource*> selected;
  for (const auto& database : databases) {
    if (Selects(tenant, database)) selected.push_back(&database);
  }
  std::sort(selected.begin(), selected.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  // Everything that shapes the instance, in a fixed order.
  json digest = {{"options", TenantOptionsToJson(tenant.options)},
                 {"sources", json::array()}};
  for (const auto* database : selected) {
    declared.databases.push_back(database->name);
    declared.view.sources.push_back(
        {SourceIdOf(database->name), database->dsn, database->connection});
    const auto& c = database->connection;
    json source = {{"name", database->name},
                   {"dsn", database->dsn.canonical},
                   {"ssl", c.ssl_mode},
                   {"connect", c.connection_timeout_seconds.value_or(0)},
                   {"query", c.query_timeout_seconds.value_or(0)},
                   {"readonly", c.readonly ? json(*c.readonly) : json()},
                   {"max_rows", c.max_rows ? json(*c.max_rows) : json()}};
    if (c.credentials) {
      auto version = secret_versions.find(c.credentials->secret);
      source["credentials"] = {
          c.credentials->secret, c.credentials->user_key, c.credentials->password_key,
          version == secret_versions.end() ? std::string("absent") : version->second};
    }
    digest["sources"].push_back(std::move(source));
  }
  // 48 bits of an HMAC of the digest: exact in JSON numbers everywhere,
  // and two different revisions of one tenant do not meet in practice.
  const std::string mac = HmacSha256("mcp-gateway declared tenant", digest.dump());
  std::int64_t revision = 0;
  for (int i = 0; i < 6; ++i) {
    revision = (revision << 8) | static_cast<unsigned char>(mac[i]);
  }
  declared.view.revision = revision == 0 ? 1 : revision;
  return declared;
}

TokenHashes ParseTokenHashes(const json& secret_data) {
  TokenHashes result;
  if (!secret_data.is_object()) return result;
  for (const auto& [key, value] : secret_data.items()) {
    std::string decoded;
    if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &decoded)) {
      result.bad_keys.push_back(key);
      continue;
    }
    bool bad = false;
    std::vector<std::string> hashes;
    for (const auto part :
         absl::StrSplit(decoded, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
      std::string hash = text::Lower(std::string_view(part.data(), part.size()));
      if (hash.size() != 64 ||
          hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
        bad = true;
        break;
      }
      hashes.push_back(std::move(hash));
    }
    if (bad || hashes.empty()) {
      result.bad_keys.push_back(key);
      continue;
    }
    result.hashes.insert(result.hashes.end(), hashes.begin(), hashes.end());
  }
  return result;
}

}  // namespace mcpgw::policies
