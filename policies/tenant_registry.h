#pragma once
// The tenant registry: tenants, their sources (DSNs, sealed with
// AES-256-GCM) and their tokens (stored only as SHA-256 hashes), in an
// embedded SQLite database (WAL, versioned migrations) in the state
// directory. The one part of policies/ with I/O. Every write goes to the
// database first, then to an in-memory copy that the request path reads.
// Thread-safe.
//
// Writes are serialized by a lock of their own, held through the database
// work; the in-memory copy's lock is taken (exclusively) only to swap in
// the one tenant a write changed. So a slow disk delays other writes, never
// the readers (token look-ups on the MCP path, the admin API's lists).
// Writes still block their caller: the gateway runs them off its I/O
// threads (gateway/http/blocking_work.h).

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "policies/credential_cipher.h"
#include "policies/target.h"

struct sqlite3;

namespace mcpgw::policies {

struct TokenInfo {
  std::string id;
  std::string label;
  std::string created_at;
  std::optional<std::string> revoked_at;
};

struct TenantRecord {
  std::string id;
  TenantOptions options;
  std::int64_t revision = 1;
  std::string created_at;
  std::string updated_at;
  std::vector<TenantSource> sources;  // decrypted: never shown as is
  std::vector<TokenInfo> tokens;
};

// Options from JSON (admin API); fields not present keep `base`'s values,
// null clears. InvalidArgument names the field.
absl::StatusOr<TenantOptions> TenantOptionsFromJson(const nlohmann::json& json,
                                                    TenantOptions base);
nlohmann::json TenantOptionsToJson(const TenantOptions& options);

// A token as issued: shown to the caller once, then only its hash is kept.
struct IssuedToken {
  std::string id;
  std::string token;
};

// Tenant ids: 1 to 64 of a-z, 0-9, '-' and '_'.
absl::Status ValidTenantId(std::string_view id);

class TenantRegistry final : public TenantDirectory {
 public:
  // Opens (creating it 0600 if needed) and migrates the database, then
  // re-seals every source not sealed with the cipher's current key (a key
  // rotation: the old key must be among the cipher's previous keys).
  static absl::StatusOr<std::unique_ptr<TenantRegistry>> Open(
      const std::filesystem::path& path, CredentialCipher cipher);
  ~TenantRegistry() override;

  std::optional<TenantView> FindByToken(std::string_view token) const override;
  std::optional<TenantView> FindById(std::string_view id) const override;

  std::vector<TenantRecord> List() const;
  std::optional<TenantRecord> Get(std::string_view id) const;
  // AlreadyExists, InvalidArgument.
  absl::StatusOr<TenantRecord> Create(std::string_view id, TenantOptions options);
  // Bumps the revision. NotFound.
  absl::StatusOr<TenantRecord> UpdateOptions(std::string_view id,
                                             TenantOptions options);
  absl::Status Delete(std::string_view id);
  // Adds or replaces a source; bumps the revision when anything changed.
  // `dsn` must already have passed the DSN rules.
  absl::StatusOr<TenantRecord> PutSource(std::string_view tenant_id,
                                         std::string_view source_id,
                                         const Dsn& dsn);
  absl::StatusOr<TenantRecord> DeleteSource(std::string_view tenant_id,
                                            std::string_view source_id);
  absl::StatusOr<IssuedToken> IssueToken(std::string_view tenant_id,
                                         std::string_view label);
  // Registers a token known only by its SHA-256 hash (seed files).
  absl::Status AddTokenHash(std::string_view tenant_id, std::string_view hash,
                            std::string_view label);
  absl::Status RevokeToken(std::string_view tenant_id, std::string_view token_id);

  // Re-seals every source under the current key; returns how many rows
  // changed.
  absl::StatusOr<int> Reseal();
  int schema_version() const;

  // Tests only (fault injection): runs at the start of every write, with
  // the write lock held, before the database is touched; it may block, as
  // a slow disk would. Null: none.
  void SetWriteHookForTesting(std::function<void()> hook);

 private:
  using TenantMap = std::map<std::string, TenantRecord, std::less<>>;
  // Token hash (active tokens only) -> tenant id.
  using HashMap = std::unordered_map<std::string, std::string>;

  TenantRegistry(sqlite3* db, CredentialCipher cipher);
  absl::Status Migrate();
  // Reads tenants, their sources (decrypted) and active token hashes from
  // the database: all of them, or only tenant `only` (its row may be gone).
  // Touches no in-memory state.
  absl::Status ReadTenants(const std::string* only, TenantMap& tenants,
                           HashMap& hashes) const;
  // Rebuilds the whole in-memory copy from the database (start-up).
  absl::Status ReloadAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mutex_);
  // Re-reads tenant `id` alone and swaps it into the in-memory copy (or
  // drops it when gone): what every write does after its own change, so a
  // write decrypts only the sources of the tenant it changed. Returns the
  // tenant as now stored (NotFound when gone).
  absl::StatusOr<TenantRecord> RefreshTenantLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mutex_);
  absl::Status BumpRevisionLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mutex_);
  // Every write begins with it, under the write lock: the test hook.
  void RunWriteHookLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mutex_);
  // The in-memory copy as a writer reads it: only writers change it, and
  // they hold write_mutex_, so one that holds it needs no mutex_ to read
  // (the analysis cannot express "guarded by either lock for reads").
  const TenantMap& TenantsForWriterLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mutex_);

  // Opened with SQLITE_OPEN_FULLMUTEX: SQLite serialises calls on it.
  sqlite3* const db_;
  const CredentialCipher cipher_;
  // Serializes writes (database and in-memory copy alike). Held through
  // the database work; a writer holding it may read tenants_ without mutex_
  // (only writers change tenants_).
  Mutex write_mutex_;
  std::function<void()> write_hook_ ABSL_GUARDED_BY(write_mutex_);
  // Guards tenants_ and token_hash_to_tenant_: shared for readers,
  // exclusive only for the swap at the end of a write.
  mutable SharedMutex mutex_ ABSL_ACQUIRED_AFTER(write_mutex_);
  TenantMap tenants_ ABSL_GUARDED_BY(mutex_);
  HashMap token_hash_to_tenant_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::policies
