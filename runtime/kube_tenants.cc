#include "runtime/kube_tenants.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/text.h"
#include "policies/declared_tenants.h"
#include "policies/tenant_registry.h"
#include "policies/tenant_token.h"
#include "runtime/container_spec.h"
#include "runtime/kube_access.h"
#include "runtime/kube_spec.h"
#include "runtime/kube_status_writer.h"
#include "runtime/kube_watch.h"

namespace mcpgw::runtime {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kCallTimeout{15'000};
constexpr std::chrono::seconds kComplaintInterval{30};

enum class Kind { kTenants, kDatabases, kSecrets };

std::string Now() {
  return absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
}

std::string VersionOf(const json& object) {
  return object.value("metadata", json::object()).value("resourceVersion", std::string());
}

std::int64_t GenerationOf(const json& object) {
  const json metadata = object.value("metadata", json::object());
  const auto it = metadata.find("generation");
  return it != metadata.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

json Condition(const char* type, bool ok, std::string_view reason,
               std::string_view message) {
  return {{"type", type},
          {"status", ok ? "True" : "False"},
          {"reason", std::string(reason)},
          {"message", std::string(message)},
          {"lastTransitionTime", Now()}};
}

// A tokens Secret's hashes, read again only when its version changes.
struct TokenSecret {
  std::string version;
  policies::TokenHashes hashes;
};

struct TenantEntry {
  policies::DeclaredTenant declared;
  std::string instance;
  std::string problem;  // why it is not served (invalid spec, ...)
  std::vector<std::string> notes;  // served, but something is off
  std::string token_secret;
};

}  // namespace

struct KubeTenantDirectory::Shared {
  std::shared_ptr<const KubeClient> client;
  KubeTenantsOptions options;
  std::string tenants_path;
  std::string databases_path;
  std::string secrets_path;
  std::atomic<bool> stopping{false};
  std::vector<std::thread> watchers;
  // Statuses go out from their own thread: a rebuild never waits on them.
  std::unique_ptr<KubeStatusWriter> statuses;

  mutable Mutex mutex;
  mutable CondVar built_changed;  // `built` became true
  // What the watches saw (by name); secrets: only resourceVersions.
  std::map<std::string, json> tenant_objects ABSL_GUARDED_BY(mutex);
  std::map<std::string, json> database_objects ABSL_GUARDED_BY(mutex);
  std::map<std::string, std::string, std::less<>> secret_versions
      ABSL_GUARDED_BY(mutex);
  std::set<Kind> synced ABSL_GUARDED_BY(mutex);
  // A rebuild has run with every list read: the registry can be asked.
  bool built ABSL_GUARDED_BY(mutex) = false;
  // What the request path reads (rebuilt after every change).
  std::map<std::string, TenantEntry, std::less<>> tenants ABSL_GUARDED_BY(mutex);
  std::unordered_map<std::string, std::string> tenant_of_hash
      ABSL_GUARDED_BY(mutex);
  std::map<std::string, std::string, std::less<>> tenant_of_claim
      ABSL_GUARDED_BY(mutex);

  // One rebuild at a time; taken before `mutex`, never while holding it.
  Mutex rebuild_mutex ABSL_ACQUIRED_BEFORE(mutex);
  std::map<std::string, TokenSecret> token_secrets ABSL_GUARDED_BY(rebuild_mutex);

  void WatchLoop(Kind kind);
  void Apply(Kind kind, const std::string& type, const json& object);
  void Rebuild();
  std::optional<policies::TokenHashes> TokenHashesOf(const std::string& secret,
                                                     const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(rebuild_mutex);
  json TenantJson(const std::string& id, const TenantEntry& entry) const;
};

void KubeTenantDirectory::Shared::Apply(Kind kind, const std::string& type,
                                        const json& object) {
  const std::string name = ObjectName(object);
  if (name.empty()) return;
  MutexLock lock(mutex);
  if (kind == Kind::kSecrets) {
    if (type == "DELETED") {
      secret_versions.erase(name);
    } else {
      secret_versions[name] = VersionOf(object);
    }
    return;
  }
  auto& objects = kind == Kind::kTenants ? tenant_objects : database_objects;
  if (type == "DELETED") {
    objects.erase(name);
  } else {
    objects[name] = object;
  }
}

void KubeTenantDirectory::Shared::WatchLoop(Kind kind) {
  const std::string& path = kind == Kind::kTenants     ? tenants_path
                            : kind == Kind::kDatabases ? databases_path
                                                       : secrets_path;
  const char* what = kind == Kind::kTenants     ? "tenants"
                     : kind == Kind::kDatabases ? "databases"
                                                : "secrets";
  // Secrets: metadata only, never their data.
  const bool metadata = kind == Kind::kSecrets;
  const char* list_accept = metadata ? KubeClient::kMetadataList : "application/json";
  const char* watch_accept = metadata ? KubeClient::kMetadataWatch : "application/json";
  auto last_complaint = SteadyClock::time_point{};
  auto complain = [&](const std::string& message) {
    if (SteadyClock::now() - last_complaint > kComplaintInterval) {
      spdlog::error("watching {} in namespace {}: {}", what, options.namespace_name,
                    message);
      last_complaint = SteadyClock::now();
    }
  };
  KubeWatchHandlers handlers;
  handlers.on_list = [&](const json& items, SteadyClock::time_point) {
    {
      MutexLock lock(mutex);
      if (kind == Kind::kSecrets) {
        secret_versions.clear();
      } else {
        (kind == Kind::kTenants ? tenant_objects : database_objects).clear();
      }
    }
    for (const auto& item : items) Apply(kind, "ADDED", item);
    {
      MutexLock lock(mutex);
      synced.insert(kind);
    }
    Rebuild();
  };
  handlers.on_event = [&](const std::string& type, const json& object) {
    Apply(kind, type, object);
    Rebuild();
  };
  handlers.on_error = [&](long http_status, std::string message) {
    if (http_status == 404 && kind != Kind::kSecrets) {
      message += " (are the CRDs installed? kubectl apply -f "
                 "deploy/helm/mcp-gateway/crds/)";
    }
    complain(message);
  };
  ListAndWatch(*client,
               {.collection = path,
                .label_selector = "",
                .list_accept = list_accept,
                .watch_accept = watch_accept},
               handlers, stopping);
}

std::optional<policies::TokenHashes> KubeTenantDirectory::Shared::TokenHashesOf(
    const std::string& secret, const std::string& version) {
  auto cached = token_secrets.find(secret);
  if (cached != token_secrets.end() && cached->second.version == version) {
    return cached->second.hashes;
  }
  auto got = client->Call("GET", text::Cat(secrets_path, "/", secret), std::nullopt,
                          kCallTimeout);
  if (!got.ok() || got->status != 200) {
    spdlog::error("tenants: reading the tokens Secret {}: {}", secret,
                  got.ok() ? DescribeApiError(got->status, "", "get secret")
                           : std::string(got.status().message()));
    return std::nullopt;
  }
  const json object = json::parse(got->body, nullptr, false);
  TokenSecret entry{VersionOf(object),
                    policies::ParseTokenHashes(object.value("data", json::object()))};
  token_secrets[secret] = entry;
  return entry.hashes;
}

void KubeTenantDirectory::Shared::Rebuild() {
  MutexLock rebuild(rebuild_mutex);
  std::map<std::string, json> tenant_copy, database_copy;
  std::map<std::string, std::string, std::less<>> versions;
  {
    MutexLock lock(mutex);
    // Until every list has been read a Secret or Database may only seem
    // missing: decide nothing yet.
    if (synced.size() < 3) return;
    tenant_copy = tenant_objects;
    database_copy = database_objects;
    versions = secret_versions;
  }

  // Databases: valid ones serve; the others say why in their status.
  std::vector<policies::DatabaseResource> valid;
  std::map<std::string, std::string> database_problems;
  for (const auto& [name, object] : database_copy) {
    auto parsed = policies::ParseDatabase(object);
    std::string problem;
    if (!parsed.ok()) {
      problem = std::string(parsed.status().message());
    } else if (auto refused = options.check_database
                                  ? options.check_database(parsed->dsn)
                                  : std::nullopt) {
      problem = *refused;
    } else if (parsed->connection.credentials &&
               !versions.contains(parsed->connection.credentials->secret)) {
      problem = text::Cat("the Secret ", parsed->connection.credentials->secret,
                          " (spec.credentialsRef.name) does not exist");
    }
    if (problem.empty()) {
      valid.push_back(*std::move(parsed));
    } else {
      database_problems[name] = problem;
    }
  }

  std::map<std::string, TenantEntry, std::less<>> next;
  std::unordered_map<std::string, std::string> hashes;
  std::map<std::string, std::string, std::less<>> claims;
  for (const auto& [name, object] : tenant_copy) {
    TenantEntry entry;
    auto parsed = policies::ParseTenant(object);
    if (!parsed.ok()) {
      entry.problem = std::string(parsed.status().message());
      entry.declared.view.id = name;
      next[name] = std::move(entry);
      continue;
    }
    entry.declared = policies::BuildDeclaredTenant(*parsed, valid, versions);
    entry.token_secret = parsed->token_secret;
    if (options.instance_name) entry.instance = options.instance_name(entry.declared.view);
    for (const auto& wanted : parsed->database_names) {
      if (database_problems.contains(wanted)) {
        entry.notes.push_back(text::Cat("Database ", wanted, " is not valid"));
      } else if (!database_copy.contains(wanted)) {
        entry.notes.push_back(text::Cat("Database ", wanted, " does not exist"));
      }
    }
    if (entry.declared.databases.empty()) {
      entry.problem = "it selects no valid Database";
    }
    if (!parsed->oidc_claim.empty() && entry.problem.empty()) {
      auto [it, inserted] = claims.emplace(parsed->oidc_claim, name);
      if (!inserted) {
        // Two tenants claiming one value: neither gets it (ambiguous).
        entry.notes.push_back(text::Cat("another Tenant (", it->second,
                                        ") has the same oidcClaimValue"));
        it->second.clear();
      }
    }
    if (!parsed->token_secret.empty()) {
      auto version = versions.find(parsed->token_secret);
      if (version == versions.end()) {
        entry.notes.push_back(text::Cat("the tokens Secret ", parsed->token_secret,
                                        " does not exist"));
      } else if (auto found = TokenHashesOf(parsed->token_secret, version->second)) {
        for (const auto& key : found->bad_keys) {
          entry.notes.push_back(text::Cat("key ", key, " of the tokens Secret ",
                                          parsed->token_secret,
                                          " holds no SHA-256 hash (64 hex digits)"));
        }
        if (entry.problem.empty()) {
          for (const auto& hash : found->hashes) hashes[hash] = name;
        }
      } else {
        entry.notes.push_back(text::Cat("the tokens Secret ", parsed->token_secret,
                                        " cannot be read"));
      }
    }
    next[name] = std::move(entry);
  }

  // Swap, and drain what is no longer current.
  std::vector<std::pair<std::string, std::int64_t>> retired;
  {
    MutexLock lock(mutex);
    for (const auto& [id, before] : tenants) {
      if (!before.problem.empty()) continue;
      auto now = next.find(id);
      if (now == next.end() || !now->second.problem.empty() ||
          now->second.declared.view.revision != before.declared.view.revision) {
        retired.emplace_back(id, before.declared.view.revision);
      }
    }
    for (const auto& [id, entry] : next) {
      auto before = tenants.find(id);
      if (entry.problem.empty() &&
          (before == tenants.end() ||
           before->second.declared.view.revision != entry.declared.view.revision)) {
        spdlog::info("tenant {} (Kubernetes): revision {} with {} database(s)", id,
                     entry.declared.view.revision, entry.declared.databases.size());
      }
    }
    tenants = next;
    tenant_of_hash = std::move(hashes);
    tenant_of_claim = std::move(claims);
    built = true;
  }
  built_changed.NotifyAll();
  for (const auto& [id, revision] : retired) {
    spdlog::info("tenant {} (Kubernetes): revision {} retired", id, revision);
    if (options.on_retired) options.on_retired(id, revision);
  }

  // Statuses: queued, and written only when they say something new
  // (replicas agree, so the second writer finds nothing to change).
  for (const auto& [name, object] : database_copy) {
    auto problem = database_problems.find(name);
    const bool ok = problem == database_problems.end();
    json status = {
        {"phase", ok ? "Pending" : "Failed"},
        {"observedGeneration", GenerationOf(object)},
        {"conditions",
         json::array({Condition("Accepted", ok, ok ? "Valid" : "Invalid",
                                ok ? "accepted by the gateway; DBHub connects when a "
                                     "tenant's instance starts"
                                   : problem->second)})},
        {"lastChecked", Now()}};
    statuses->Queue(databases_path, object, std::move(status));
  }
  for (const auto& [name, object] : tenant_copy) {
    const auto& entry = next.at(name);
    std::string message = entry.problem.empty() ? "serving" : entry.problem;
    for (const auto& note : entry.notes) message += "; " + note;
    json status = {{"observedGeneration", GenerationOf(object)},
                   {"databases", entry.declared.databases},
                   {"conditions",
                    json::array({Condition("Ready", entry.problem.empty(),
                                           entry.problem.empty() ? "Serving" : "NotServing",
                                           message)})}};
    if (entry.problem.empty()) {
      status["revision"] = entry.declared.view.revision;
      status["instance"] = entry.instance;
    }
    statuses->Queue(tenants_path, object, std::move(status));
  }
}

json KubeTenantDirectory::Shared::TenantJson(const std::string& id,
                                             const TenantEntry& entry) const {
  json databases = json::array();
  for (const auto& source : entry.declared.view.sources) {
    databases.push_back({{"source", source.id}, {"target", source.dsn.redacted}});
  }
  json out = {{"id", id},
              {"managed_by", "kubernetes"},
              {"revision", entry.problem.empty() ? json(entry.declared.view.revision)
                                                 : json()},
              {"options", policies::TenantOptionsToJson(entry.declared.view.options)},
              {"databases", databases},
              {"instance", entry.instance}};
  if (!entry.problem.empty()) out["problem"] = entry.problem;
  if (!entry.notes.empty()) out["notes"] = entry.notes;
  return out;
}

KubeTenantDirectory::KubeTenantDirectory(std::shared_ptr<const KubeClient> client,
                                         KubeTenantsOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->client = std::move(client);
  shared_->options = std::move(options);
  const std::string ns = shared_->options.namespace_name;
  const std::string group = text::Cat("/apis/", policies::kResourceGroup, "/",
                                      policies::kResourceVersion, "/namespaces/", ns);
  shared_->tenants_path = group + "/tenants";
  shared_->databases_path = group + "/databases";
  shared_->secrets_path = text::Cat("/api/v1/namespaces/", ns, "/secrets");
  shared_->statuses = std::make_unique<KubeStatusWriter>(shared_->client);
  for (Kind kind : {Kind::kSecrets, Kind::kDatabases, Kind::kTenants}) {
    shared_->watchers.emplace_back(
        [shared = shared_, kind] { shared->WatchLoop(kind); });
  }
}

KubeTenantDirectory::~KubeTenantDirectory() {
  shared_->stopping.store(true);
  for (auto& watcher : shared_->watchers) {
    if (watcher.joinable()) watcher.join();
  }
}

std::optional<policies::TenantView> KubeTenantDirectory::FindByToken(
    std::string_view token) const {
  const std::string hash = policies::TenantTokenHash(token);
  MutexLock lock(shared_->mutex);
  auto owner = shared_->tenant_of_hash.find(hash);
  if (owner == shared_->tenant_of_hash.end()) return std::nullopt;
  auto tenant = shared_->tenants.find(owner->second);
  if (tenant == shared_->tenants.end() || !tenant->second.problem.empty()) {
    return std::nullopt;
  }
  return tenant->second.declared.view;
}

std::optional<policies::TenantView> KubeTenantDirectory::FindByOidcClaim(
    std::string_view value) const {
  MutexLock lock(shared_->mutex);
  auto owner = shared_->tenant_of_claim.find(value);
  if (owner == shared_->tenant_of_claim.end() || owner->second.empty()) {
    return std::nullopt;
  }
  auto tenant = shared_->tenants.find(owner->second);
  if (tenant == shared_->tenants.end() || !tenant->second.problem.empty()) {
    return std::nullopt;
  }
  return tenant->second.declared.view;
}

bool KubeTenantDirectory::WaitSynced(std::chrono::milliseconds timeout) const {
  MutexLock lock(shared_->mutex);
  return shared_->built_changed.WaitFor(
      shared_->mutex, timeout,
      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mutex) {
        return shared_->built;
      });
}

nlohmann::json KubeTenantDirectory::List() const {
  MutexLock lock(shared_->mutex);
  json list = json::array();
  for (const auto& [id, entry] : shared_->tenants) {
    list.push_back(shared_->TenantJson(id, entry));
  }
  return list;
}

std::optional<nlohmann::json> KubeTenantDirectory::Get(std::string_view id) const {
  MutexLock lock(shared_->mutex);
  auto it = shared_->tenants.find(id);
  if (it == shared_->tenants.end()) return std::nullopt;
  return shared_->TenantJson(it->first, it->second);
}

std::vector<std::pair<std::string, std::int64_t>> KubeTenantDirectory::Revisions() const {
  MutexLock lock(shared_->mutex);
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& [id, entry] : shared_->tenants) {
    if (entry.problem.empty()) out.emplace_back(id, entry.declared.view.revision);
  }
  return out;
}

absl::Status KubeTenantDirectory::CheckAccess() const {
  static constexpr KubePermission kNeeds[] = {
      {"list", "mcp-gateway.dev", "tenants", ""},
      {"watch", "mcp-gateway.dev", "tenants", ""},
      {"update", "mcp-gateway.dev", "tenants", "status"},
      {"list", "mcp-gateway.dev", "databases", ""},
      {"watch", "mcp-gateway.dev", "databases", ""},
      {"update", "mcp-gateway.dev", "databases", "status"},
      {"list", "", "secrets", ""},
      {"watch", "", "secrets", ""},
      {"get", "", "secrets", ""},
  };
  return CheckKubePermissions(
      *shared_->client, shared_->options.namespace_name, kNeeds,
      "tenants from Kubernetes: bind it to deploy/kubernetes/tenants-role.yaml too",
      kCallTimeout);
}

}  // namespace mcpgw::runtime
