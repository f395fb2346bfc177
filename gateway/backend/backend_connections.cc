#include "gateway/backend/backend_connections.h"

#include <algorithm>
#include <iterator>

namespace mcpgw::gateway {

void BackendConnection::StartRead(std::chrono::steady_clock::duration timeout,
                                  const asio::any_io_executor& here) {
  if (stream.get_executor() == here) {
    read_deadline.Start(timeout);
  } else {
    stream.expires_after(timeout);
    beast_bound = true;
  }
}

beast::error_code BackendConnection::EndRead(beast::error_code ec) {
  if (beast_bound) {
    // `read_deadline` is left alone: its timer's handler may be running on
    // the connection's own loop, and reads its state there.
    stream.expires_never();
    beast_bound = false;
    return ec;
  }
  read_deadline.Stop();
  if (ec && read_deadline.expired()) return beast::error::timeout;
  return ec;
}

std::unique_ptr<BackendConnection> BackendConnections::Take(
    const std::string& instance_id, const asio::any_io_executor& preferred) {
  MutexLock lock(mutex_);
  auto it = idle_.find(instance_id);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  // Given back in time order: the ones idle too long are at the front.
  const auto now = clock_.Now();
  const auto fresh = std::find_if(list.begin(), list.end(), [&](const auto& c) {
    return now - c->idle_since < kMaxIdle;
  });
  list.erase(list.begin(), fresh);
  if (list.empty()) return nullptr;
  auto chosen = std::prev(list.end());
  for (auto c = list.rbegin(); preferred && c != list.rend(); ++c) {
    if ((*c)->stream.get_executor() == preferred) {
      chosen = std::prev(c.base());
      break;
    }
  }
  auto connection = std::move(*chosen);
  list.erase(chosen);
  return connection;
}

void BackendConnections::Give(const std::string& instance_id,
                              std::unique_ptr<BackendConnection> connection) {
  connection->idle_since = clock_.Now();
  MutexLock lock(mutex_);
  auto& list = idle_[instance_id];
  if (list.size() < kMaxIdlePerInstance) list.push_back(std::move(connection));
}

void BackendConnections::Forget(const std::string& instance_id) {
  std::vector<std::unique_ptr<BackendConnection>> dropped;
  {
    MutexLock lock(mutex_);
    auto it = idle_.find(instance_id);
    if (it == idle_.end()) return;
    dropped = std::move(it->second);
    idle_.erase(it);
  }
}

void BackendConnections::Clear() {
  std::unordered_map<std::string,
                     std::vector<std::unique_ptr<BackendConnection>>>
      dropped;
  MutexLock lock(mutex_);
  dropped.swap(idle_);
}

}  // namespace mcpgw::gateway
