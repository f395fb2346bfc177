#include "gateway/backend/backend_connections.h"

namespace mcpgw::gateway {

std::unique_ptr<BackendConnection> BackendConnections::Take(
    const std::string& instance_id) {
  MutexLock lock(mutex_);
  auto it = idle_.find(instance_id);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = clock_.Now();
  while (!list.empty()) {
    auto connection = std::move(list.back());
    list.pop_back();
    if (now - connection->idle_since < kMaxIdle) return connection;
  }
  return nullptr;
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
