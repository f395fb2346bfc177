#include "policies/resolved_dsn_cache.h"

#include "policies/instance_key.h"

namespace mcpgw::policies {

absl::StatusOr<ResolvedDsn> ResolvedDsnCache::Resolve(
    std::string_view text, std::string_view key_secret) {
  {
    MutexLock lock(mutex_);
    if (const auto* entry = cache_.Find(text);
        entry != nullptr && entry->key_secret == key_secret) {
      return entry->resolved;
    }
  }
  // Parsed and keyed outside the lock: other requests need not wait.
  auto dsn = ParseDsn(text);
  if (!dsn.ok()) return dsn.status();
  ResolvedDsn resolved;
  resolved.key = DeriveInstanceKey(key_secret, dsn->canonical);
  resolved.dsn = *std::move(dsn);
  if (text.size() <= kMaxCachedTextLength) {
    MutexLock lock(mutex_);
    cache_.Put(std::string(text), Entry{std::string(key_secret), resolved});
  }
  return resolved;
}

std::size_t ResolvedDsnCache::size() {
  MutexLock lock(mutex_);
  return cache_.size();
}

}  // namespace mcpgw::policies
