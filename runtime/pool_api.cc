#include "runtime/pool_api.h"

#include <utility>

#include "common/text.h"

namespace mcpgw::runtime {

const char* ToString(InstanceState state) {
  switch (state) {
    case InstanceState::kStarting:
      return "starting";
    case InstanceState::kReady:
      return "ready";
    case InstanceState::kStopping:
      return "stopping";
  }
  return "unknown";
}

const char* ToString(StopReason reason) {
  switch (reason) {
    case StopReason::kIdle:
      return "idle";
    case StopReason::kEvicted:
      return "evicted";
    case StopReason::kDrained:
      return "drained";
    case StopReason::kDeleted:
      return "deleted";
    case StopReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

const char* ToString(SpawnKind kind) {
  return kind == SpawnKind::kWarm ? "warm" : "cold";
}

const char* ToString(PoolEvent::Type type) {
  switch (type) {
    case PoolEvent::Type::kStarting:
      return "starting";
    case PoolEvent::Type::kReady:
      return "ready";
    case PoolEvent::Type::kFailed:
      return "failed";
    case PoolEvent::Type::kDraining:
      return "draining";
    case PoolEvent::Type::kStopping:
      return "stopping";
    case PoolEvent::Type::kExited:
      return "exited";
    case PoolEvent::Type::kCapacityRefused:
      return "capacity_refused";
  }
  return "unknown";
}

const char* ToString(WarmPoolState state) {
  switch (state) {
    case WarmPoolState::kChecking:
      return "checking";
    case WarmPoolState::kActive:
      return "active";
    case WarmPoolState::kDisabled:
      return "disabled";
    case WarmPoolState::kStopped:
      return "stopped";
  }
  return "unknown";
}

std::string InstanceRequestFields(const Endpoint& endpoint) {
  return text::Cat("Host: ", endpoint.host, ":", endpoint.port,
                   "\r\nAuthorization: Bearer ", endpoint.bearer_token, "\r\n");
}

LeaseTarget::LeaseTarget(std::string id, Endpoint at)
    : instance_id(std::move(id)),
      endpoint(std::move(at)),
      request_fields(InstanceRequestFields(endpoint)) {}

Lease::Lease(std::shared_ptr<const LeaseTarget> target,
             std::unique_ptr<LeaseHolder> holder)
    : holder_(std::move(holder)), target_(std::move(target)) {}

Lease::Lease(std::string instance_id, Endpoint endpoint,
             std::unique_ptr<LeaseHolder> holder)
    : Lease(std::make_shared<const LeaseTarget>(std::move(instance_id),
                                                std::move(endpoint)),
            std::move(holder)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    holder_ = std::move(other.holder_);
    target_ = std::move(other.target_);
    stream_open_ = other.stream_open_;
  }
  return *this;
}

const LeaseTarget& Lease::Target() const {
  static const LeaseTarget kNone;
  return target_ != nullptr ? *target_ : kNone;
}

Lease::~Lease() { Release(); }

void Lease::Release() {
  if (holder_ == nullptr) return;
  holder_->Release(stream_open_);
  holder_.reset();
}

void Lease::StreamOpened() {
  if (holder_ == nullptr || stream_open_) return;
  stream_open_ = true;
  holder_->StreamOpened();
}

void Lease::StreamClosed() {
  if (holder_ == nullptr || !stream_open_) return;
  stream_open_ = false;
  holder_->StreamClosed();
}

void Lease::CountError() {
  if (holder_ != nullptr) holder_->CountError();
}

}  // namespace mcpgw::runtime
