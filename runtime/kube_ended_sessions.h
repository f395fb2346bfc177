#pragma once
// Sessions ended with DELETE, shared by every gateway replica of one
// gateway id and kept across restarts: one ConfigMap per ended session in
// the instances' namespace (labelled with the gateway id; the session's
// nonce and expiry, nothing that opens a session: ids are sealed with the
// gateway's secret). Each replica watches them and refuses those sessions;
// expired ones are deleted by whichever replica sees them first.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/mutex.h"
#include "runtime/kube_client.h"

namespace mcpgw::runtime {

class KubeEndedSessions {
 public:
  using OnEnded = std::function<void(const std::string& nonce, std::int64_t expires_at)>;
  // Starts watching at once; `on_ended` runs on the watch thread for every
  // session ended anywhere (this replica's included).
  // Expiry (wall time) and the pace of its complaints are `clock`'s.
  KubeEndedSessions(std::shared_ptr<const KubeClient> client, std::string namespace_name,
                    std::string gateway_id, OnEnded on_ended,
                    const common::Clock& clock);
  ~KubeEndedSessions();
  KubeEndedSessions(const KubeEndedSessions&) = delete;
  KubeEndedSessions& operator=(const KubeEndedSessions&) = delete;

  // Records a session ended here; returns at once (a thread of its own
  // writes it).
  void Publish(const std::string& nonce, std::int64_t expires_at);

  // The ConfigMap's name for a nonce (a hash: names are public).
  static std::string ObjectName(const std::string& gateway_id, const std::string& nonce);

 private:
  void WatchLoop();
  void PublishLoop();

  const std::shared_ptr<const KubeClient> client_;
  const std::string namespace_;
  const std::string gateway_id_;
  const std::string collection_;
  const OnEnded on_ended_;
  const common::Clock& clock_;
  std::atomic<bool> stopping_{false};
  Mutex mutex_;
  CondVar changed_;  // queue_ grew or stopping_ was set
  std::deque<std::pair<std::string, std::int64_t>> queue_ ABSL_GUARDED_BY(mutex_);
  std::thread watcher_;
  std::thread publisher_;
};

}  // namespace mcpgw::runtime
