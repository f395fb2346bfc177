#pragma once
// Writes the status subresource of custom resources from a thread of its
// own, the newest status per object winning. The tenant registry computes a
// status on every watch event; writing it inline would hold the next event
// (a Secret with a tenant's tokens, say) behind a round trip to the API
// server for every object, and a client would find its token unknown for
// that long. A status already on the object is not written again, so the
// replicas, which compute the same statuses, do not fight over them.

#include <map>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/mutex.h"
#include "runtime/kube_client.h"

namespace mcpgw::runtime {

class KubeStatusWriter {
 public:
  explicit KubeStatusWriter(std::shared_ptr<const KubeClient> client);
  // Stops after the write under way; what is still queued is not written
  // (the next replica to see the object writes it).
  ~KubeStatusWriter();
  KubeStatusWriter(const KubeStatusWriter&) = delete;
  KubeStatusWriter& operator=(const KubeStatusWriter&) = delete;

  // `object` (as watched, under `collection`) is to say `status`. Replaces
  // what is queued for it; drops it when the object says it already.
  void Queue(const std::string& collection, const nlohmann::json& object,
             nlohmann::json status);

 private:
  struct Pending {
    std::string collection;
    nlohmann::json object;
    nlohmann::json status;
  };

  void Loop();
  void Write(const Pending& pending) const;

  const std::shared_ptr<const KubeClient> client_;
  Mutex mutex_;
  CondVar queued_;
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: started once the rest is built
};

}  // namespace mcpgw::runtime
