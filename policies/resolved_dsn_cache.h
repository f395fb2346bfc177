#pragma once
// A DSN's parse and instance key, remembered per DSN text. A client sends
// the same X-DBHub-DSN header with every request, and parsing it (Boost.URL,
// canonical form) and keying it (HMAC-SHA256) again each time was a good
// part of a proxied request's CPU. Both are pure functions of the text and
// the key secret, so the result can be reused as is; the DSN rules are not
// part of it and are checked on every request by the caller.
//
// Holds DSNs with their passwords, like every Target does: nothing here is
// ever logged or shown (no printing, only a size). Thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "policies/dsn.h"
#include "policies/lru_cache.h"

namespace mcpgw::policies {

struct ResolvedDsn {
  Dsn dsn;
  std::string key;  // DeriveInstanceKey(key_secret, dsn.canonical)
};

class ResolvedDsnCache {
 public:
  // Longer DSN texts are resolved every time: the cache stays small
  // (a few kB per entry).
  static constexpr std::size_t kMaxCachedTextLength = 1024;

  explicit ResolvedDsnCache(std::size_t entries) : cache_(entries) {}

  // ParseDsn(text) and its instance key under `key_secret`: from the cache
  // when the same text was resolved with the same secret lately. Errors are
  // ParseDsn's, and are not cached.
  absl::StatusOr<ResolvedDsn> Resolve(std::string_view text,
                                      std::string_view key_secret);

  std::size_t size();

 private:
  struct Entry {
    std::string key_secret;  // what `resolved.key` was derived with
    ResolvedDsn resolved;
  };
  Mutex mutex_;
  LruCache<Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::policies
