#pragma once
// Gateway-owned MCP sessions. A session id is a sealed token
// (policies/session_token.h): nothing is stored to make it valid, so it
// holds on every gateway process with the same secret and after a restart.
// What is stored here is only what cannot live in the token:
//  - sessions ended with DELETE, until they would have expired anyway;
//  - for backends that keep sessions of their own, the backend's session id
//    per (gateway session, instance), so that a new instance behind an old
//    session is initialized again before it is used.
//  - a bounded cache of the session ids it opened lately, with their claims:
//    a client sends its id with every request, and decrypting it each time
//    was the costliest step of a proxied request. The cache spares only the
//    decryption: the target, the expiry and the end of a session are checked
//    on every request as before.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "policies/lru_cache.h"
#include "policies/session_token.h"

namespace mcpgw::gateway {

inline constexpr std::string_view kSessionHeader = "Mcp-Session-Id";

class SessionManager {
 public:
  // Session ids opened lately are kept (up to `cache_entries`) so that the
  // next request of the session need not decrypt its id again.
  static constexpr std::size_t kDefaultCacheEntries = 1024;
  // Expiry is the wall time of `clock`.
  SessionManager(std::string secret, std::chrono::seconds ttl,
                 const common::Clock& clock,
                 std::size_t cache_entries = kDefaultCacheEntries);

  // Claims for a new session of `target_key`.
  policies::SessionClaims NewClaims(std::string target_key,
                                    std::string protocol_version,
                                    std::string initialize_params) const;
  // The id a client gets for `claims`; counts the session as issued.
  std::string Issue(const policies::SessionClaims& claims);

  // The claims of `session_id` if it is valid for `target_key` and not
  // ended; NotFound with a message a client may see otherwise.
  absl::StatusOr<policies::SessionClaims> Open(std::string_view session_id,
                                               std::string_view target_key);
  // DELETE: the session id stops working here, and wherever the end
  // listener shares it.
  void End(const policies::SessionClaims& claims);

  // Told (outside the lock, on the caller's thread: must not block) of
  // every session ended here, to share it with other gateway replicas and
  // later runs. Set before the gateway serves.
  using EndListener =
      std::function<void(const std::string& nonce, std::int64_t expires_at)>;
  void SetEndListener(EndListener listener) { end_listener_ = std::move(listener); }
  // A session ended elsewhere (another replica, an earlier run).
  void MarkEnded(const std::string& nonce, std::int64_t expires_at);

  std::optional<std::string> BackendSession(const std::string& nonce,
                                            const std::string& instance_id);
  void SetBackendSession(const std::string& nonce,
                         const std::string& instance_id,
                         std::string backend_session);
  // The instance is gone: its backend sessions with it.
  void ForgetInstance(const std::string& instance_id);
  std::optional<std::string> TakeBackendSession(const std::string& nonce,
                                                const std::string& instance_id);

  struct Stats {
    std::uint64_t issued = 0;
    std::uint64_t ended = 0;
    std::uint64_t rejected = 0;
    std::size_t backend_sessions = 0;
    std::size_t cached_ids = 0;  // session ids whose claims are cached
    std::size_t ended_remembered = 0;  // ended, not yet expired
  };
  Stats stats();
  std::chrono::seconds ttl() const { return ttl_; }

 private:
  static std::string BackendKey(const std::string& nonce,
                                const std::string& instance_id);
  void PruneEndedLocked(std::int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::int64_t NowSeconds() const;

  const std::string secret_;
  const std::chrono::seconds ttl_;
  const common::Clock& clock_;
  Mutex mutex_;
  // nonce -> expiry
  std::unordered_map<std::string, std::int64_t> ended_ ABSL_GUARDED_BY(mutex_);
  // nonce/instance
  std::unordered_map<std::string, std::string> backend_ ABSL_GUARDED_BY(mutex_);
  // session id -> its unsealed claims (authentic; not yet checked for a
  // target or the time).
  policies::LruCache<policies::SessionClaims, policies::UnsealedIdHash> opened_
      ABSL_GUARDED_BY(mutex_);
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  // Set before the gateway serves, then only read.
  EndListener end_listener_;
};

}  // namespace mcpgw::gateway
