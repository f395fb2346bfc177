#include "runtime/kube_status_writer.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "runtime/kube_spec.h"

namespace mcpgw::runtime {

using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds kCallTimeout{15'000};

// The status without its timestamps: what decides whether to write it.
json Comparable(json status) {
  if (!status.is_object()) return json::object();
  status.erase("lastChecked");
  if (status.contains("conditions") && status["conditions"].is_array()) {
    for (auto& condition : status["conditions"]) {
      if (condition.is_object()) condition.erase("lastTransitionTime");
    }
  }
  return status;
}

}  // namespace

KubeStatusWriter::KubeStatusWriter(std::shared_ptr<const KubeClient> client)
    : client_(std::move(client)), thread_([this] { Loop(); }) {}

KubeStatusWriter::~KubeStatusWriter() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  queued_.NotifyAll();
  thread_.join();
}

void KubeStatusWriter::Queue(const std::string& collection, const json& object,
                             json status) {
  const std::string key = text::Cat(collection, "/", ObjectName(object));
  const bool said = Comparable(object.value("status", json::object())) == Comparable(status);
  {
    MutexLock lock(mutex_);
    if (said) {
      // An older status still queued would undo what the object says now.
      pending_.erase(key);
      return;
    }
    pending_.insert_or_assign(key, Pending{collection, object, std::move(status)});
  }
  queued_.NotifyOne();
}

void KubeStatusWriter::Loop() {
  for (;;) {
    std::map<std::string, Pending> batch;
    {
      MutexLock lock(mutex_);
      queued_.Wait(mutex_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !pending_.empty();
      });
      if (stopping_) return;
      batch.swap(pending_);
    }
    for (const auto& [key, pending] : batch) {
      {
        MutexLock lock(mutex_);
        if (stopping_) return;
      }
      Write(pending);
    }
  }
}

void KubeStatusWriter::Write(const Pending& pending) const {
  const std::string name = ObjectName(pending.object);
  json updated = pending.object;
  updated["status"] = pending.status;
  auto put = client_->Call("PUT", text::Cat(pending.collection, "/", name, "/status"),
                           updated.dump(), kCallTimeout);
  // 409: the object changed meanwhile; its watch event brings another try.
  // 404: it is gone.
  if (put.ok() && (put->status == 200 || put->status == 409 || put->status == 404)) return;
  spdlog::warn("status of {}: {}", name,
               put.ok() ? DescribeApiError(put->status, put->body, "update status")
                        : std::string(put.status().message()));
}

}  // namespace mcpgw::runtime
