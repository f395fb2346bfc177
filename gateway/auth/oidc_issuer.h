#pragma once
// One OpenID provider (or RFC 8414 authorization server) whose access
// tokens the gateway accepts: its discovery document and its signing keys
// (JWKS), fetched and cached.
//  - The keys are fetched at start (a provider that does not answer then is
//    retried on demand) and again when they are older than `max_key_age`.
//  - A token with an unknown `kid` triggers a refetch (the provider rotated
//    its keys), at most once per `min_refetch_interval`, so that a flood of
//    forged kids cannot turn the gateway into a load on the provider.
//  - A failed fetch keeps the keys it had: a provider that is down does not
//    log anybody out.
// Fetches (Refresh, Keys, RefetchForUnknownKey) block the calling thread
// (bounded by the HTTP timeout) and are serialized per issuer: the gateway
// runs them off its I/O threads (OAuthVerifier::FetchKeysFor,
// RefreshStaleKeys). CachedKeys, LacksKeyFor and StaleRefreshDue never
// wait for a fetch. Thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "gateway/http/http_get.h"
#include "policies/access_token.h"

namespace mcpgw::gateway {

struct OidcIssuerOptions {
  std::chrono::milliseconds min_refetch_interval{30000};
  std::chrono::milliseconds max_key_age{600000};
};

class OidcIssuer {
 public:
  // Key ages and the refetch interval are measured on `clock`.
  OidcIssuer(std::string issuer, OidcIssuerOptions options, HttpGetFunction get,
             const common::Clock& clock);

  const std::string& issuer() const { return issuer_; }

  // Discovery (once it succeeded, not again) and the JWKS.
  absl::Status Refresh();

  // The keys to verify with (refetched first when stale and a fetch is
  // due); possibly empty when the provider never answered. Blocks.
  std::shared_ptr<const policies::JsonWebKeySet> Keys();

  // The keys as cached, without fetching.
  std::shared_ptr<const policies::JsonWebKeySet> CachedKeys() const;

  // The cached keys lack `kid` (or, with no kid, hold not exactly one key)
  // and a fetch is allowed now.
  bool LacksKeyFor(std::string_view kid) const;

  // The keys are missing or older than max_key_age, and a fetch is allowed.
  bool StaleRefreshDue() const;

  // A token named a kid the cached keys lack: refetch if the last attempt
  // is older than min_refetch_interval. True when a fetch happened and
  // succeeded (verify again with Keys()).
  bool RefetchForUnknownKey();

 private:
  absl::Status FetchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mutex_);
  bool FetchAllowedLocked(std::chrono::steady_clock::time_point now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(keys_mutex_);
  bool StaleLocked(std::chrono::steady_clock::time_point now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(keys_mutex_);
  absl::Status DiscoverLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mutex_);

  const std::string issuer_;
  const OidcIssuerOptions options_;
  const HttpGetFunction get_;
  const common::Clock& clock_;

  // One fetch at a time; held across the fetch, while readers of the keys
  // go on with the cached ones. Taken before keys_mutex_.
  Mutex fetch_mutex_ ABSL_ACQUIRED_BEFORE(keys_mutex_);
  std::string jwks_uri_ ABSL_GUARDED_BY(fetch_mutex_);  // from discovery

  // Held only for moments, never across a fetch: what the I/O threads read.
  mutable Mutex keys_mutex_;
  std::chrono::steady_clock::time_point last_attempt_
      ABSL_GUARDED_BY(keys_mutex_){};
  bool attempted_ ABSL_GUARDED_BY(keys_mutex_) = false;
  std::shared_ptr<const policies::JsonWebKeySet> keys_
      ABSL_GUARDED_BY(keys_mutex_);
  std::chrono::steady_clock::time_point fetched_at_
      ABSL_GUARDED_BY(keys_mutex_){};
};

}  // namespace mcpgw::gateway
