#include "tests/harness/fake_pool.h"

#include <utility>

namespace mcpgw::harness {
namespace {

// The pool's side of a lease: counts what the gateway does with it.
class CountingHolder final : public runtime::LeaseHolder {
 public:
  explicit CountingHolder(std::shared_ptr<FakePool::Counts> counts)
      : counts_(std::move(counts)) {}
  void Release(bool stream_open) override {
    // A lease given back with its stream still open closes it (the real
    // pool does the same bookkeeping).
    if (stream_open) ++counts_->streams_closed;
    ++counts_->released;
  }
  void StreamOpened() override { ++counts_->streams_opened; }
  void StreamClosed() override { ++counts_->streams_closed; }
  void CountError() override { ++counts_->errors; }

 private:
  std::shared_ptr<FakePool::Counts> counts_;
};

}  // namespace

FakePool::FakePool(runtime::Endpoint endpoint, std::string instance_id)
    : instance_id_(std::move(instance_id)), endpoint_(std::move(endpoint)) {}

void FakePool::SetEndpoint(runtime::Endpoint endpoint) {
  std::lock_guard lock(mutex_);
  endpoint_ = std::move(endpoint);
}

void FakePool::FailAcquires(absl::Status status) {
  std::lock_guard lock(mutex_);
  fail_with_ = std::move(status);
}

void FakePool::HoldAcquires(bool hold) {
  std::lock_guard lock(mutex_);
  hold_ = hold;
}

int FakePool::held() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(held_.size());
}

void FakePool::ReleaseHeld() {
  std::vector<runtime::AcquireCallback> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting.swap(held_);
  }
  // Outside the lock, as the real pool calls back.
  for (auto& done : waiting) done(MakeLease());
}

std::vector<runtime::AcquireRequest> FakePool::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

runtime::Lease FakePool::MakeLease() {
  runtime::Endpoint endpoint;
  {
    std::lock_guard lock(mutex_);
    endpoint = endpoint_;
  }
  ++counts_->acquired;
  return runtime::Lease(instance_id_, std::move(endpoint),
                        std::make_unique<CountingHolder>(counts_));
}

void FakePool::Acquire(runtime::AcquireRequest request,
                       runtime::AcquireCallback done) {
  absl::Status failure;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
    failure = fail_with_;
    if (failure.ok() && hold_) {
      held_.push_back(std::move(done));
      return;
    }
  }
  if (!failure.ok()) {
    ++counts_->refused;
    done(failure);
    return;
  }
  done(MakeLease());
}

std::vector<runtime::InstanceSnapshot> FakePool::Snapshot() const {
  return {*SnapshotOf(instance_id_)};
}

std::optional<runtime::InstanceSnapshot> FakePool::SnapshotOf(
    const std::string& id) const {
  if (id != instance_id_) return std::nullopt;
  runtime::InstanceSnapshot snapshot;
  snapshot.id = instance_id_;
  snapshot.key_prefix = "fake";
  snapshot.redacted_target = "fake instance";
  snapshot.runtime = runtime_name_;
  snapshot.state = runtime::InstanceState::kReady;
  {
    std::lock_guard lock(mutex_);
    snapshot.port = endpoint_.port;
  }
  snapshot.in_flight = outstanding();
  return snapshot;
}

runtime::PoolStats FakePool::Stats() const {
  runtime::PoolStats stats;
  stats.ready = 1;
  stats.in_flight = outstanding();
  stats.open_streams =
      counts_->streams_opened.load() - counts_->streams_closed.load();
  stats.max_instances = 1;
  return stats;
}

void FakePool::OnInstanceGone(
    std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  gone_listeners_.push_back(std::move(listener));
}

void FakePool::OnInstanceDraining(
    std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  draining_listeners_.push_back(std::move(listener));
}

void FakePool::AnnounceDraining() {
  std::vector<std::function<void(const std::string&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = draining_listeners_;
  }
  for (auto& listener : listeners) listener(instance_id_);
}

absl::Status FakePool::Drain(const std::string& id) {
  if (id != instance_id_) return absl::NotFoundError("no such instance");
  AnnounceDraining();
  return absl::OkStatus();
}

absl::Status FakePool::StopInstance(const std::string& id) {
  if (id != instance_id_) return absl::NotFoundError("no such instance");
  return absl::OkStatus();
}

}  // namespace mcpgw::harness
