#pragma once
// An InstancePoolApi with one instance that is always "ready" at a fixed
// endpoint (a FakeInstance's), and counters of everything the gateway does
// with its leases. Acquire can be made to fail, or be held until the test
// lets it go (a start that takes as long as the test wants).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/pool_api.h"

namespace mcpgw::harness {

class FakePool final : public runtime::InstancePoolApi {
 public:
  // Counters shared with the leases (a lease may outlive a request frame,
  // never the pool: the fixture orders destruction so).
  struct Counts {
    std::atomic<int> acquired{0};
    std::atomic<int> released{0};
    std::atomic<int> streams_opened{0};
    std::atomic<int> streams_closed{0};
    std::atomic<int> errors{0};
    std::atomic<int> refused{0};
  };

  explicit FakePool(runtime::Endpoint endpoint,
                    std::string instance_id = "fake-1");

  void SetEndpoint(runtime::Endpoint endpoint);
  // Every Acquire from now on fails with `status` (OK: succeed again).
  void FailAcquires(absl::Status status);
  // While held, Acquire parks its callback; ReleaseHeld answers them all.
  void HoldAcquires(bool hold);
  void ReleaseHeld();
  int held() const;

  const Counts& counts() const { return *counts_; }
  // Leases handed out and not yet given back.
  int outstanding() const {
    return counts_->acquired.load() - counts_->released.load();
  }
  std::vector<runtime::AcquireRequest> requests() const;
  // Calls the gateway's OnInstanceDraining listeners, as the pool does when
  // an instance begins to drain.
  void AnnounceDraining();

  // InstancePoolApi.
  void Acquire(runtime::AcquireRequest request,
               runtime::AcquireCallback done) override;
  std::vector<runtime::InstanceSnapshot> Snapshot() const override;
  std::vector<runtime::InstanceSnapshot> StateSnapshot() const override {
    return Snapshot();  // the fake has no runtime facts to leave out
  }
  std::optional<runtime::InstanceSnapshot> SnapshotOf(
      const std::string& id) const override;
  runtime::PoolStats Stats() const override;
  std::size_t size() const override { return 1; }
  void OnInstanceGone(std::function<void(const std::string&)> listener) override;
  void OnInstanceDraining(
      std::function<void(const std::string&)> listener) override;
  void AddObserver(runtime::PoolObserver*) override {}
  absl::Status Drain(const std::string& id) override;
  absl::Status StopInstance(const std::string& id) override;
  std::optional<std::string> RecentOutput(const std::string&) const override {
    return std::nullopt;
  }
  const std::string& runtime_name() const override { return runtime_name_; }
  int max_instances() const override { return 1; }

 private:
  runtime::Lease MakeLease();

  const std::string instance_id_;
  const std::string runtime_name_ = "fake";
  std::shared_ptr<Counts> counts_ = std::make_shared<Counts>();
  mutable std::mutex mutex_;
  runtime::Endpoint endpoint_;
  absl::Status fail_with_;
  bool hold_ = false;
  std::vector<runtime::AcquireCallback> held_;
  std::vector<runtime::AcquireRequest> requests_;
  std::vector<std::function<void(const std::string&)>> gone_listeners_;
  std::vector<std::function<void(const std::string&)>> draining_listeners_;
};

}  // namespace mcpgw::harness
