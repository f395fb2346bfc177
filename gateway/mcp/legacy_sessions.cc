#include "gateway/mcp/legacy_sessions.h"

#include "common/random_token.h"

namespace mcpgw::gateway {

policies::SessionClaims LegacySession::Claims() {
  MutexLock lock(mutex_);
  return claims_;
}

void LegacySession::SetClaims(policies::SessionClaims claims) {
  MutexLock lock(mutex_);
  claims_ = std::move(claims);
}

std::shared_ptr<LegacySession> LegacySessions::Open(policies::Target target) {
  auto id = common::RandomHex(16);
  auto stream = std::make_shared<EventStream>(id, "", limits_, clock_);
  auto session =
      std::make_shared<LegacySession>(id, std::move(target), std::move(stream));
  policies::SessionClaims claims;
  claims.nonce = id;
  claims.target_key = session->target.SessionKey();
  session->SetClaims(std::move(claims));
  MutexLock lock(mutex_);
  sessions_.emplace(id, session);
  return session;
}

std::shared_ptr<LegacySession> LegacySessions::Find(
    const std::string& id, const std::string& target_key) {
  MutexLock lock(mutex_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->target.SessionKey() != target_key) {
    return nullptr;
  }
  return it->second;
}

void LegacySessions::Close(const std::string& id) {
  std::shared_ptr<LegacySession> closed;
  {
    MutexLock lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    closed = std::move(it->second);
    sessions_.erase(it);
  }
  closed->stream->Finish();
}

void LegacySessions::FinishAll() {
  MutexLock lock(mutex_);
  for (auto& [id, session] : sessions_) session->stream->Finish();
}

std::size_t LegacySessions::size() {
  MutexLock lock(mutex_);
  return sessions_.size();
}

}  // namespace mcpgw::gateway
