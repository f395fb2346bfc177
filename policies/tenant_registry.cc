#include "policies/tenant_registry.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/random_token.h"
#include "common/redaction.h"
#include "common/text.h"
#include "policies/tenant_token.h"

namespace mcpgw::policies {
namespace {


// Versioned migrations: index + 1 is the version. Append only; never edit
// one that has shipped.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      R"sql(
CREATE TABLE tenants(
  id TEXT PRIMARY KEY,
  options TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE sources(
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  dsn_sealed BLOB NOT NULL,
  key_id TEXT NOT NULL,
  PRIMARY KEY(tenant_id, id));
CREATE TABLE tokens(
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  revoked_at TEXT);
)sql",
  };
  return kMigrations;
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                          absl::UTCTimeZone());
}

// One prepared statement; finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    status_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()),
                                 &stmt_, nullptr);
    db_ = db;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(std::string_view value) {
    sqlite3_bind_text(stmt_, ++index_, value.data(),
                      static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(std::string_view value) {
    sqlite3_bind_blob(stmt_, ++index_, value.data(),
                      static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(std::int64_t value) {
    sqlite3_bind_int64(stmt_, ++index_, value);
    return *this;
  }
  Statement& BindNull() {
    sqlite3_bind_null(stmt_, ++index_);
    return *this;
  }
  // SQLITE_ROW or SQLITE_DONE; anything else is an error.
  int Step() { return status_ == SQLITE_OK ? sqlite3_step(stmt_) : status_; }
  absl::Status Run() {
    const int rc = Step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return absl::OkStatus();
    if (rc == SQLITE_CONSTRAINT) {
      return absl::AlreadyExistsError(sqlite3_errmsg(db_));
    }
    return absl::InternalError(text::Cat("tenant registry: ", sqlite3_errmsg(db_)));
  }
  std::string Text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, column));
  }
  std::string Blob(int column) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return p == nullptr ? std::string()
                        : std::string(p, sqlite3_column_bytes(stmt_, column));
  }
  bool IsNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int status_ = SQLITE_OK;
  int index_ = 0;
};

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(text::Cat("tenant registry: ", message));
  }
  return absl::OkStatus();
}

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    status_ = Exec(db_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (status_.ok() && !done_) Exec(db_, "ROLLBACK").IgnoreError();
  }
  const absl::Status& status() const { return status_; }
  absl::Status Commit() {
    done_ = true;
    return Exec(db_, "COMMIT");
  }

 private:
  sqlite3* db_;
  absl::Status status_;
  bool done_ = false;
};

std::string SourceContext(std::string_view tenant, std::string_view source) {
  return text::Cat(tenant, "/", source);
}

}  // namespace

absl::Status ValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > 64 ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") !=
          std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a tenant id is 1 to 64 characters of a-z, 0-9, '-' and '_'");
  }
  return absl::OkStatus();
}

nlohmann::json TenantOptionsToJson(const TenantOptions& o) {
  auto opt = [](const auto& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {
      {"readonly", o.readonly},
      {"max_rows", opt(o.max_rows)},
      {"idle_timeout_ms",
       o.idle_timeout ? nlohmann::json(o.idle_timeout->count()) : nullptr},
      {"max_instances", opt(o.max_instances)},
      {"rate_per_second", opt(o.rate_per_second)},
      {"rate_burst", opt(o.rate_burst)},
      {"oauth_scope", opt(o.oauth_scope)},
  };
}

absl::StatusOr<TenantOptions> TenantOptionsFromJson(const nlohmann::json& json,
                                                    TenantOptions o) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("options must be a JSON object");
  }
  for (const auto& item : json.items()) {
    // References, not a structured binding: the lambdas below use them,
    // and clang before 16 cannot capture a structured binding.
    const std::string& name = item.key();
    const nlohmann::json& value = item.value();
    const bool null = value.is_null();
    auto positive_int = [&](std::optional<int>& field) -> absl::Status {
      if (null) {
        field.reset();
        return absl::OkStatus();
      }
      if (!value.is_number_integer() || value.get<long long>() < 1 ||
          value.get<long long>() > 1'000'000'000) {
        return absl::InvalidArgumentError(
            text::Cat(name, " must be a positive integer or null"));
      }
      field = value.get<int>();
      return absl::OkStatus();
    };
    auto positive_number = [&](std::optional<double>& field) -> absl::Status {
      if (null) {
        field.reset();
        return absl::OkStatus();
      }
      if (!value.is_number() || value.get<double>() <= 0) {
        return absl::InvalidArgumentError(
            text::Cat(name, " must be a positive number or null"));
      }
      field = value.get<double>();
      return absl::OkStatus();
    };
    absl::Status status;
    if (name == "readonly") {
      if (!value.is_boolean()) {
        return absl::InvalidArgumentError("readonly must be true or false");
      }
      o.readonly = value.get<bool>();
    } else if (name == "max_rows") {
      status = positive_int(o.max_rows);
    } else if (name == "max_instances") {
      status = positive_int(o.max_instances);
    } else if (name == "idle_timeout_ms") {
      std::optional<int> ms;
      status = positive_int(ms);
      if (status.ok()) {
        o.idle_timeout = ms ? std::optional(std::chrono::milliseconds(*ms))
                            : std::nullopt;
      }
    } else if (name == "rate_per_second") {
      status = positive_number(o.rate_per_second);
    } else if (name == "rate_burst") {
      status = positive_number(o.rate_burst);
    } else if (name == "oauth_scope") {
      if (null) {
        o.oauth_scope.reset();
      } else if (!value.is_string() || value.get<std::string>().empty() ||
                 value.get<std::string>().find(' ') != std::string::npos) {
        return absl::InvalidArgumentError(
            "oauth_scope must be one scope (no spaces) or null");
      } else {
        o.oauth_scope = value.get<std::string>();
      }
    } else {
      return absl::InvalidArgumentError(text::Cat(
          "unknown option '", name,
          "' (readonly, max_rows, idle_timeout_ms, max_instances, "
          "rate_per_second, rate_burst, oauth_scope)"));
    }
    if (!status.ok()) return status;
  }
  return o;
}

TenantRegistry::TenantRegistry(sqlite3* db, CredentialCipher cipher)
    : db_(db), cipher_(std::move(cipher)) {}

TenantRegistry::~TenantRegistry() { sqlite3_close(db_); }

absl::StatusOr<std::unique_ptr<TenantRegistry>> TenantRegistry::Open(
    const std::filesystem::path& path, CredentialCipher cipher) {
  // Created 0600 (SQLite gives its -wal and -shm files the same mode).
  const mode_t old_mask = umask(077);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  umask(old_mask);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(
        text::Cat("cannot open the tenant registry ", path.string(), ": ", message));
  }
  chmod(path.c_str(), 0600);
  std::unique_ptr<TenantRegistry> registry(
      new TenantRegistry(db, std::move(cipher)));
  sqlite3_busy_timeout(db, 5'000);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON"}) {
    if (auto status = Exec(db, pragma); !status.ok()) return status;
  }
  if (auto status = registry->Migrate(); !status.ok()) return status;
  {
    MutexLock lock(registry->write_mutex_);
    if (auto status = registry->ReloadAllLocked(); !status.ok()) return status;
  }
  if (auto resealed = registry->Reseal(); !resealed.ok()) {
    return resealed.status();
  }
  return registry;
}

int TenantRegistry::schema_version() const {
  Statement select(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return select.Step() == SQLITE_ROW ? static_cast<int>(select.Int(0)) : 0;
}

absl::Status TenantRegistry::Migrate() {
  if (auto status = Exec(db_,
                         "CREATE TABLE IF NOT EXISTS schema_migrations("
                         "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      !status.ok()) {
    return status;
  }
  const auto& migrations = Migrations();
  const int current = schema_version();
  if (current > static_cast<int>(migrations.size())) {
    return absl::FailedPreconditionError(text::Cat(
        "the tenant registry has schema version ", current,
        ", newer than this gateway knows (", migrations.size(), ")"));
  }
  for (int version = current + 1;
       version <= static_cast<int>(migrations.size()); ++version) {
    Transaction tx(db_);
    if (!tx.status().ok()) return tx.status();
    if (auto status = Exec(db_, migrations[version - 1]); !status.ok()) {
      return status;
    }
    Statement record(db_, "INSERT INTO schema_migrations VALUES(?, ?)");
    if (auto status = record.Bind(std::int64_t{version}).Bind(Now()).Run();
        !status.ok()) {
      return status;
    }
    if (auto status = tx.Commit(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status TenantRegistry::ReadTenants(const std::string* only,
                                         TenantMap& tenants,
                                         HashMap& hashes) const {
  // The same queries for one tenant or all, so that a write's refresh and a
  // full reload cannot disagree.
  const std::string where_id = only != nullptr ? " WHERE id = ?" : "";
  const std::string where_tenant = only != nullptr ? " WHERE tenant_id = ?" : "";
  Statement select_tenants(
      db_, text::Cat("SELECT id, options, revision, created_at, updated_at "
                     "FROM tenants",
                     where_id));
  if (only != nullptr) select_tenants.Bind(*only);
  int rc;
  while ((rc = select_tenants.Step()) == SQLITE_ROW) {
    TenantRecord tenant;
    tenant.id = select_tenants.Text(0);
    auto json = nlohmann::json::parse(select_tenants.Text(1), nullptr, false);
    auto options = TenantOptionsFromJson(json, {});
    if (!options.ok()) {
      return absl::DataLossError(text::Cat("tenant ", tenant.id,
                                           ": stored options are unreadable"));
    }
    tenant.options = *options;
    tenant.revision = select_tenants.Int(2);
    tenant.created_at = select_tenants.Text(3);
    tenant.updated_at = select_tenants.Text(4);
    tenants.emplace(tenant.id, std::move(tenant));
  }
  if (rc != SQLITE_DONE) {
    return absl::InternalError(text::Cat("tenant registry: ", sqlite3_errmsg(db_)));
  }
  Statement select_sources(
      db_, text::Cat("SELECT tenant_id, id, dsn_sealed, key_id FROM sources",
                     where_tenant, " ORDER BY tenant_id, id"));
  if (only != nullptr) select_sources.Bind(*only);
  while ((rc = select_sources.Step()) == SQLITE_ROW) {
    const std::string tenant_id = select_sources.Text(0);
    const std::string source_id = select_sources.Text(1);
    auto plain = cipher_.Open(select_sources.Blob(2),
                              SourceContext(tenant_id, source_id),
                              select_sources.Text(3));
    if (!plain.ok()) {
      return absl::Status(plain.status().code(),
                          text::Cat("tenant ", tenant_id, " source ", source_id,
                                    ": ", plain.status().message()));
    }
    auto dsn = ParseDsn(*plain);
    if (!dsn.ok()) {
      return absl::DataLossError(text::Cat("tenant ", tenant_id, " source ",
                                           source_id, ": stored DSN is invalid"));
    }
    auto it = tenants.find(tenant_id);
    if (it != tenants.end()) {
      it->second.sources.push_back({source_id, *std::move(dsn)});
    }
  }
  Statement select_tokens(
      db_,
      text::Cat("SELECT id, tenant_id, hash, label, created_at, revoked_at "
                "FROM tokens",
                where_tenant, " ORDER BY created_at, id"));
  if (only != nullptr) select_tokens.Bind(*only);
  while ((rc = select_tokens.Step()) == SQLITE_ROW) {
    TokenInfo token{select_tokens.Text(0), select_tokens.Text(3),
                    select_tokens.Text(4), std::nullopt};
    const std::string tenant_id = select_tokens.Text(1);
    if (!select_tokens.IsNull(5)) {
      token.revoked_at = select_tokens.Text(5);
    } else {
      hashes[select_tokens.Text(2)] = tenant_id;
    }
    auto it = tenants.find(tenant_id);
    if (it != tenants.end()) it->second.tokens.push_back(std::move(token));
  }
  return absl::OkStatus();
}

absl::Status TenantRegistry::ReloadAllLocked() {
  TenantMap tenants;
  HashMap hashes;
  if (auto status = ReadTenants(nullptr, tenants, hashes); !status.ok()) {
    return status;
  }
  WriterMutexLock lock(mutex_);
  tenants_ = std::move(tenants);
  token_hash_to_tenant_ = std::move(hashes);
  return absl::OkStatus();
}

absl::StatusOr<TenantRecord> TenantRegistry::RefreshTenantLocked(
    std::string_view id) {
  const std::string key(id);
  TenantMap read;
  HashMap hashes;
  // Read (and decrypt) before taking the readers' lock: readers wait only
  // for the swap below.
  if (auto status = ReadTenants(&key, read, hashes); !status.ok()) {
    return status;
  }
  auto found = read.find(key);
  std::optional<TenantRecord> result;
  if (found != read.end()) result = found->second;
  {
    WriterMutexLock lock(mutex_);
    for (auto it = token_hash_to_tenant_.begin();
         it != token_hash_to_tenant_.end();) {
      it = it->second == key ? token_hash_to_tenant_.erase(it) : std::next(it);
    }
    if (found != read.end()) {
      tenants_.insert_or_assign(key, std::move(found->second));
      token_hash_to_tenant_.merge(hashes);
    } else {
      tenants_.erase(key);
    }
  }
  if (!result) return absl::NotFoundError(text::Cat("no tenant ", id));
  return *std::move(result);
}

void TenantRegistry::RunWriteHookLocked() {
  if (write_hook_) write_hook_();
}

const TenantRegistry::TenantMap& TenantRegistry::TenantsForWriterLocked() const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  return tenants_;
}

void TenantRegistry::SetWriteHookForTesting(std::function<void()> hook) {
  MutexLock lock(write_mutex_);
  write_hook_ = std::move(hook);
}

std::optional<TenantView> TenantRegistry::FindByToken(
    std::string_view token) const {
  const std::string hash = TenantTokenHash(token);
  ReaderMutexLock lock(mutex_);
  auto it = token_hash_to_tenant_.find(hash);
  if (it == token_hash_to_tenant_.end()) return std::nullopt;
  auto tenant = tenants_.find(it->second);
  if (tenant == tenants_.end()) return std::nullopt;
  return TenantView{tenant->second.id, tenant->second.revision,
                    tenant->second.options, tenant->second.sources};
}

std::optional<TenantView> TenantRegistry::FindById(std::string_view id) const {
  ReaderMutexLock lock(mutex_);
  auto tenant = tenants_.find(id);
  if (tenant == tenants_.end()) return std::nullopt;
  return TenantView{tenant->second.id, tenant->second.revision,
                    tenant->second.options, tenant->second.sources};
}

std::vector<TenantRecord> TenantRegistry::List() const {
  ReaderMutexLock lock(mutex_);
  std::vector<TenantRecord> out;
  for (const auto& [id, tenant] : tenants_) out.push_back(tenant);
  return out;
}

std::optional<TenantRecord> TenantRegistry::Get(std::string_view id) const {
  ReaderMutexLock lock(mutex_);
  auto it = tenants_.find(id);
  if (it == tenants_.end()) return std::nullopt;
  return it->second;
}

absl::Status TenantRegistry::BumpRevisionLocked(std::string_view id) {
  Statement bump(db_,
                 "UPDATE tenants SET revision = revision + 1, updated_at = ? "
                 "WHERE id = ?");
  return bump.Bind(Now()).Bind(id).Run();
}

absl::StatusOr<TenantRecord> TenantRegistry::Create(std::string_view id,
                                                    TenantOptions options) {
  if (auto status = ValidTenantId(id); !status.ok()) return status;
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  if (TenantsForWriterLocked().count(id) > 0) {
    return absl::AlreadyExistsError(text::Cat("tenant ", id, " exists"));
  }
  const std::string now = Now();
  Statement insert(db_, "INSERT INTO tenants VALUES(?, ?, 1, ?, ?)");
  if (auto status = insert.Bind(id)
                        .Bind(TenantOptionsToJson(options).dump())
                        .Bind(now)
                        .Bind(now)
                        .Run();
      !status.ok()) {
    return status;
  }
  return RefreshTenantLocked(id);
}

absl::StatusOr<TenantRecord> TenantRegistry::UpdateOptions(
    std::string_view id, TenantOptions options) {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  if (TenantsForWriterLocked().count(id) == 0) {
    return absl::NotFoundError(text::Cat("no tenant ", id));
  }
  Statement update(db_,
                   "UPDATE tenants SET options = ?, revision = revision + 1, "
                   "updated_at = ? WHERE id = ?");
  if (auto status =
          update.Bind(TenantOptionsToJson(options).dump()).Bind(Now()).Bind(id).Run();
      !status.ok()) {
    return status;
  }
  return RefreshTenantLocked(id);
}

absl::Status TenantRegistry::Delete(std::string_view id) {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  if (TenantsForWriterLocked().count(id) == 0) {
    return absl::NotFoundError(text::Cat("no tenant ", id));
  }
  Statement remove(db_, "DELETE FROM tenants WHERE id = ?");
  if (auto status = remove.Bind(id).Run(); !status.ok()) return status;
  auto gone = RefreshTenantLocked(id);
  return absl::IsNotFound(gone.status()) ? absl::OkStatus() : gone.status();
}

absl::StatusOr<TenantRecord> TenantRegistry::PutSource(
    std::string_view tenant_id, std::string_view source_id, const Dsn& dsn) {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  auto it = TenantsForWriterLocked().find(tenant_id);
  if (it == TenantsForWriterLocked().end()) {
    return absl::NotFoundError(text::Cat("no tenant ", tenant_id));
  }
  for (const auto& source : it->second.sources) {
    if (source.id == source_id && source.dsn.original == dsn.original) {
      return it->second;  // unchanged: no new revision, no new instance
    }
  }
  auto sealed = cipher_.Seal(dsn.original, SourceContext(tenant_id, source_id));
  if (!sealed.ok()) return sealed.status();
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  Statement upsert(db_,
                   "INSERT INTO sources VALUES(?, ?, ?, ?) ON CONFLICT(tenant_id, id) "
                   "DO UPDATE SET dsn_sealed = excluded.dsn_sealed, key_id = "
                   "excluded.key_id");
  if (auto status = upsert.Bind(tenant_id)
                        .Bind(source_id)
                        .BindBlob(*sealed)
                        .Bind(cipher_.key_id())
                        .Run();
      !status.ok()) {
    return status;
  }
  if (auto status = BumpRevisionLocked(tenant_id); !status.ok()) return status;
  if (auto status = tx.Commit(); !status.ok()) return status;
  return RefreshTenantLocked(tenant_id);
}

absl::StatusOr<TenantRecord> TenantRegistry::DeleteSource(
    std::string_view tenant_id, std::string_view source_id) {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  auto it = TenantsForWriterLocked().find(tenant_id);
  if (it == TenantsForWriterLocked().end()) {
    return absl::NotFoundError(text::Cat("no tenant ", tenant_id));
  }
  const bool known = std::any_of(
      it->second.sources.begin(), it->second.sources.end(),
      [&](const TenantSource& s) { return s.id == source_id; });
  if (!known) {
    return absl::NotFoundError(
        text::Cat("tenant ", tenant_id, " has no source ", source_id));
  }
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  Statement remove(db_, "DELETE FROM sources WHERE tenant_id = ? AND id = ?");
  if (auto status = remove.Bind(tenant_id).Bind(source_id).Run(); !status.ok()) {
    return status;
  }
  if (auto status = BumpRevisionLocked(tenant_id); !status.ok()) return status;
  if (auto status = tx.Commit(); !status.ok()) return status;
  return RefreshTenantLocked(tenant_id);
}

absl::StatusOr<IssuedToken> TenantRegistry::IssueToken(
    std::string_view tenant_id, std::string_view label) {
  IssuedToken issued{common::RandomHex(6), NewTenantToken()};
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  if (TenantsForWriterLocked().count(tenant_id) == 0) {
    return absl::NotFoundError(text::Cat("no tenant ", tenant_id));
  }
  Statement insert(db_, "INSERT INTO tokens VALUES(?, ?, ?, ?, ?, NULL)");
  if (auto status = insert.Bind(issued.id)
                        .Bind(tenant_id)
                        .Bind(TenantTokenHash(issued.token))
                        .Bind(label)
                        .Bind(Now())
                        .Run();
      !status.ok()) {
    return status;
  }
  if (auto refreshed = RefreshTenantLocked(tenant_id); !refreshed.ok()) {
    return refreshed.status();
  }
  return issued;
}

absl::Status TenantRegistry::AddTokenHash(std::string_view tenant_id,
                                          std::string_view hash,
                                          std::string_view label) {
  const std::string lower = text::Lower(hash);
  if (lower.size() != 64 ||
      lower.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(
        "a token hash is the SHA-256 of the token in 64 hex digits");
  }
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  if (TenantsForWriterLocked().count(tenant_id) == 0) {
    return absl::NotFoundError(text::Cat("no tenant ", tenant_id));
  }
  Statement insert(db_,
                   "INSERT INTO tokens VALUES(?, ?, ?, ?, ?, NULL) "
                   "ON CONFLICT(hash) DO NOTHING");
  if (auto status = insert.Bind(lower.substr(0, 12))
                        .Bind(tenant_id)
                        .Bind(lower)
                        .Bind(label)
                        .Bind(Now())
                        .Run();
      !status.ok()) {
    return status;
  }
  return RefreshTenantLocked(tenant_id).status();
}

absl::Status TenantRegistry::RevokeToken(std::string_view tenant_id,
                                         std::string_view token_id) {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  Statement revoke(db_,
                   "UPDATE tokens SET revoked_at = ? WHERE tenant_id = ? AND "
                   "id = ? AND revoked_at IS NULL");
  if (auto status = revoke.Bind(Now()).Bind(tenant_id).Bind(token_id).Run();
      !status.ok()) {
    return status;
  }
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(text::Cat("tenant ", tenant_id,
                                         " has no active token ", token_id));
  }
  return RefreshTenantLocked(tenant_id).status();
}

absl::StatusOr<int> TenantRegistry::Reseal() {
  MutexLock write(write_mutex_);
  RunWriteHookLocked();
  struct Row {
    std::string tenant_id, source_id, sealed, key_id;
  };
  std::vector<Row> stale;
  {
    Statement select(db_,
                     "SELECT tenant_id, id, dsn_sealed, key_id FROM sources "
                     "WHERE key_id != ?");
    select.Bind(cipher_.key_id());
    while (select.Step() == SQLITE_ROW) {
      stale.push_back({select.Text(0), select.Text(1), select.Blob(2),
                       select.Text(3)});
    }
  }
  if (stale.empty()) return 0;
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  for (const auto& row : stale) {
    const std::string context = SourceContext(row.tenant_id, row.source_id);
    auto plain = cipher_.Open(row.sealed, context, row.key_id);
    if (!plain.ok()) return plain.status();
    auto sealed = cipher_.Seal(*plain, context);
    if (!sealed.ok()) return sealed.status();
    Statement update(db_,
                     "UPDATE sources SET dsn_sealed = ?, key_id = ? WHERE "
                     "tenant_id = ? AND id = ?");
    if (auto status = update.BindBlob(*sealed)
                          .Bind(cipher_.key_id())
                          .Bind(row.tenant_id)
                          .Bind(row.source_id)
                          .Run();
        !status.ok()) {
      return status;
    }
  }
  if (auto status = tx.Commit(); !status.ok()) return status;
  // The old ciphertexts may linger in the WAL until a checkpoint.
  Exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)").IgnoreError();
  // The in-memory copy holds the plaintexts, which a re-seal leaves as
  // they were: nothing to reload.
  return static_cast<int>(stale.size());
}

}  // namespace mcpgw::policies
