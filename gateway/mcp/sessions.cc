#include "gateway/mcp/sessions.h"

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

// Longer ids (large initialize parameters) are opened every time: the cache
// stays within about kDefaultCacheEntries * 2 * this many bytes.
constexpr std::size_t kMaxCachedIdLength = 2048;

}  // namespace

SessionManager::SessionManager(std::string secret, std::chrono::seconds ttl,
                               const common::Clock& clock,
                               std::size_t cache_entries)
    : secret_(std::move(secret)),
      ttl_(ttl),
      clock_(clock),
      opened_(cache_entries) {}

std::int64_t SessionManager::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             clock_.WallNow().time_since_epoch())
      .count();
}

policies::SessionClaims SessionManager::NewClaims(
    std::string target_key, std::string protocol_version,
    std::string initialize_params) const {
  return policies::NewSession(std::move(target_key),
                              std::move(protocol_version),
                              std::move(initialize_params),
                              clock_.WallNow(), ttl_);
}

std::string SessionManager::Issue(const policies::SessionClaims& claims) {
  {
    MutexLock lock(mutex_);
    ++stats_.issued;
  }
  return policies::SealSession(claims, secret_);
}

absl::StatusOr<policies::SessionClaims> SessionManager::Open(
    std::string_view session_id, std::string_view target_key) {
  const auto now = clock_.WallNow();
  absl::StatusOr<policies::SessionClaims> claims;
  {
    MutexLock lock(mutex_);
    if (const auto* cached = opened_.Find(session_id)) claims = *cached;
  }
  if (!claims.ok()) {
    // Decrypted outside the lock: other requests need not wait for it.
    claims = policies::UnsealSession(session_id, secret_);
    if (claims.ok() && session_id.size() <= kMaxCachedIdLength) {
      MutexLock lock(mutex_);
      opened_.Put(std::string(session_id), *claims);
    }
  }
  if (claims.ok()) {
    if (auto checked = policies::CheckSession(*claims, target_key, now);
        !checked.ok()) {
      claims = std::move(checked);
    }
  }
  MutexLock lock(mutex_);
  if (claims.ok() && ended_.contains(claims->nonce)) {
    claims = absl::NotFoundError(
        "unknown session: the session was ended (DELETE); start a new one "
        "with initialize");
  }
  if (!claims.ok()) ++stats_.rejected;
  return claims;
}

void SessionManager::End(const policies::SessionClaims& claims) {
  MarkEnded(claims.nonce, claims.expires_at);
  if (end_listener_) end_listener_(claims.nonce, claims.expires_at);
}

void SessionManager::MarkEnded(const std::string& nonce, std::int64_t expires_at) {
  MutexLock lock(mutex_);
  PruneEndedLocked(NowSeconds());
  if (expires_at <= NowSeconds()) return;  // refused as expired anyway
  if (ended_.emplace(nonce, expires_at).second) ++stats_.ended;
  // Refused through ended_ anyway; dropped to free the memory.
  opened_.EraseIf([&nonce](std::string_view, const auto& cached) {
    return cached.nonce == nonce;
  });
  const std::string prefix = text::Cat(nonce, "/");
  std::erase_if(backend_, [&prefix](const auto& entry) {
    return entry.first.starts_with(prefix);
  });
}

std::string SessionManager::BackendKey(const std::string& nonce,
                                       const std::string& instance_id) {
  return text::Cat(nonce, "/", instance_id);
}

std::optional<std::string> SessionManager::BackendSession(
    const std::string& nonce, const std::string& instance_id) {
  MutexLock lock(mutex_);
  const auto it = backend_.find(BackendKey(nonce, instance_id));
  if (it == backend_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> SessionManager::TakeBackendSession(
    const std::string& nonce, const std::string& instance_id) {
  MutexLock lock(mutex_);
  const auto it = backend_.find(BackendKey(nonce, instance_id));
  if (it == backend_.end()) return std::nullopt;
  std::string id = std::move(it->second);
  backend_.erase(it);
  return id;
}

void SessionManager::SetBackendSession(const std::string& nonce,
                                       const std::string& instance_id,
                                       std::string backend_session) {
  MutexLock lock(mutex_);
  backend_[BackendKey(nonce, instance_id)] = std::move(backend_session);
}

void SessionManager::ForgetInstance(const std::string& instance_id) {
  const std::string suffix = text::Cat("/", instance_id);
  MutexLock lock(mutex_);
  std::erase_if(backend_, [&suffix](const auto& entry) {
    return entry.first.ends_with(suffix);
  });
}

SessionManager::Stats SessionManager::stats() {
  MutexLock lock(mutex_);
  PruneEndedLocked(NowSeconds());
  Stats stats = stats_;
  stats.backend_sessions = backend_.size();
  stats.cached_ids = opened_.size();
  stats.ended_remembered = ended_.size();
  return stats;
}

void SessionManager::PruneEndedLocked(std::int64_t now) {
  std::erase_if(ended_,
                [now](const auto& entry) { return entry.second <= now; });
}

}  // namespace mcpgw::gateway
