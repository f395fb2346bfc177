#pragma once
// The tenant registry: tenants, their sources (DSNs, sealed with
// AES-256-GCM) and their tokens (stored only as SHA-256 hashes), in an
// embedded SQLite database (WAL, versioned migrations) in the state
// directory. The one part of policies/ with I/O. Every write goes to the
// database first, then to an in-memory copy that the request path reads.
// Thread-safe.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "policies/credential_cipher.h"
#include "policies/mutex.h"
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

// What the admin API shows: sources redacted, tokens without hashes.
nlohmann::json TenantToJson(const TenantRecord& tenant);
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

 private:
  TenantRegistry(sqlite3* db, CredentialCipher cipher);
  absl::Status Migrate();
  // Rebuilds the in-memory copy from the database (under the write lock).
  absl::Status ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<TenantRecord> GetAfterWriteLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status BumpRevisionLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Opened with SQLITE_OPEN_FULLMUTEX: SQLite serialises calls on it. The
  // writes also run under mutex_ (write lock), so that the in-memory copy
  // changes with the database, in the same order.
  sqlite3* const db_;
  const CredentialCipher cipher_;
  mutable SharedMutex mutex_;
  // The in-memory copy the request path reads.
  std::map<std::string, TenantRecord, std::less<>> tenants_
      ABSL_GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::string> token_hash_to_tenant_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::policies
