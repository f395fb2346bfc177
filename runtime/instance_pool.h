#pragma once
// Turns a target key into a lease on a ready instance: reuses the instance
// for that key, or starts one (concurrent first requests share one start),
// evicts the least recently used idle instance when full, and reaps idle
// ones. All state changes happen under one mutex; runtime calls and
// callbacks happen outside it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "common/clock.h"
#include "runtime/pool_api.h"
#include "runtime/runtime.h"

namespace mcpgw::runtime {

struct PoolOptions {
  std::chrono::milliseconds idle_timeout{300'000};
  int max_instances = 32;
  // Runs a new instance's launch (the runtime's Launch forks, writes files
  // or calls an API) somewhere else than on the acquiring thread; null: on
  // it. The gateway hands launches to threads of their own so that its I/O
  // threads never wait on a spawn; whoever runs them must run every task
  // handed over (a task never run leaves its waiters waiting).
  std::function<void(absl::AnyInvocable<void()>)> launch_on = nullptr;
};

// Hands the pool an instance that already runs (a container an earlier run
// of the gateway left), watched by the runtime like a launched one.
using AttachFunction =
    absl::AnyInvocable<absl::StatusOr<std::unique_ptr<RunningInstance>>(
        const LaunchSpec&, std::shared_ptr<InstanceEvents>)>;

struct PooledInstance;
struct PoolLiveness;

class InstancePool final : public InstancePoolApi {
 public:
  InstancePool(Runtime& runtime, const common::Clock& clock, PoolOptions options);
  ~InstancePool();
  InstancePool(const InstancePool&) = delete;
  InstancePool& operator=(const InstancePool&) = delete;

  // Calls `done` exactly once, possibly on another thread, possibly before
  // returning. Errors: ResourceExhausted (full, nothing idle to evict),
  // Unavailable (the instance could not start), Aborted (the pool is
  // stopping).
  void Acquire(AcquireRequest request, AcquireCallback done) override;
  std::optional<Lease> TryAcquireReady(const std::string& key) override;

  // Takes over a running instance for `request.key` (request.dsn may be
  // empty): `attach` is called with the pool's id and events for it, and the
  // instance becomes ready once the runtime says so. Returns the pool's id.
  // Errors: AlreadyExists (that key has an instance), ResourceExhausted
  // (full), Aborted (stopping), or attach's own error.
  absl::StatusOr<std::string> Adopt(AcquireRequest request,
                                    AttachFunction attach);

  // Stops every ready instance idle for at least the idle timeout.
  // Returns how many were stopped.
  int ReapIdle();

  // Runs ReapIdle periodically on a thread of its own until StopAll.
  void StartReaper();

  // Refuses new work, stops every instance and waits up to `timeout` for
  // them to exit and for their exit callbacks (waiters, gone-listeners,
  // observers) to return. Returns true when all did.
  bool StopAll(std::chrono::milliseconds timeout);

  std::vector<InstanceSnapshot> Snapshot() const override;
  std::vector<InstanceSnapshot> StateSnapshot() const override;
  std::size_t size() const override;

  // Called (outside the pool's lock) with an instance id once that instance
  // has exited, so that holders of per-instance resources can drop them.
  void OnInstanceGone(std::function<void(const std::string&)> listener) override;

  // --- Operations (admin API, metrics, autoscaler hooks) ---
  // Registers an observer for lifecycle events; call before traffic starts.
  // The observer must outlive the pool's activity (StopAll).
  void OnInstanceDraining(
      std::function<void(const std::string&)> listener) override;
  void AddObserver(PoolObserver* observer) override;
  // Takes the instance out of routing (new requests for its key get a new
  // instance) and stops it once nothing is in flight. NotFound if unknown.
  absl::Status Drain(const std::string& id) override;
  // Stops the instance now; requests in flight on it fail. NotFound if
  // unknown; OK if it is already stopping.
  absl::Status StopInstance(const std::string& id) override;
  // The instance's recent output (already redacted); nullopt if unknown.
  std::optional<std::string> RecentOutput(const std::string& id) const override;
  std::optional<InstanceSnapshot> SnapshotOf(const std::string& id) const override;
  PoolStats Stats() const override;
  const std::string& runtime_name() const override { return runtime_name_; }
  int max_instances() const override { return options_.max_instances; }

 private:
  // Snapshot() (ask_runtime) or StateSnapshot().
  std::vector<InstanceSnapshot> Collect(bool ask_runtime) const;
  class Events;
  class Holder;

  // Gives a new instance its runtime handle through `start` (a launch or an
  // attach) and catches up on events that came before the handle did.
  absl::Status Start(const std::shared_ptr<PooledInstance>& instance,
                     AcquireRequest request, AttachFunction start);
  void HandleReady(const std::string& id);
  // A lease on a ready instance, counted in flight and as used now.
  Lease LeaseReadyLocked(const std::shared_ptr<PooledInstance>& instance)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // A lease on a ready instance; the caller has counted it in flight.
  Lease LeaseLocked(const std::shared_ptr<PooledInstance>& instance)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void HandleExit(const std::string& id, const std::string& reason);
  void Release(const std::shared_ptr<PooledInstance>& instance, bool stream);
  void StreamOpened(const std::shared_ptr<PooledInstance>& instance);
  void StreamClosed(const std::shared_ptr<PooledInstance>& instance);
  // Marks an instance stopping and returns it for a Stop() outside the lock.
  std::shared_ptr<PooledInstance> BeginStopLocked(
      const std::shared_ptr<PooledInstance>& instance, const char* why,
      StopReason reason = StopReason::kIdle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::shared_ptr<PooledInstance> FindEvictableLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::size_t LiveCountLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Queues an event under the lock; EmitEvents delivers them after it.
  // Returns the queued event (to add details), nullptr without observers.
  PoolEvent* QueueEventLocked(PoolEvent::Type type,
                              const PooledInstance& instance)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void EmitEvents();
  void CountError(const std::shared_ptr<PooledInstance>& instance);
  // Stops a draining instance once it is idle; returns it for Stop().
  std::shared_ptr<PooledInstance> StopIfDrainedLocked(
      const std::shared_ptr<PooledInstance>& instance)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Runtime& runtime_;
  const common::Clock& clock_;
  const PoolOptions options_;
  // Lets runtime callbacks that outlive the pool find it gone.
  const std::shared_ptr<PoolLiveness> liveness_;

  // Also guards every PooledInstance's fields (the analysis cannot say so
  // for another struct's fields), except `running` once set (see Start).
  mutable Mutex mutex_;
  CondVar changed_;  // stopping_, or an instance's exit went on
  // Starting and ready instances by key; stopping ones are only in by_id_.
  std::unordered_map<std::string, std::shared_ptr<PooledInstance>> by_key_
      ABSL_GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::shared_ptr<PooledInstance>> by_id_
      ABSL_GUARDED_BY(mutex_);
  // Exits whose waiters, listeners and events are still being called.
  int exits_in_progress_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::function<void(const std::string&)>> gone_listeners_
      ABSL_GUARDED_BY(mutex_);
  std::vector<std::function<void(const std::string&)>> draining_listeners_
      ABSL_GUARDED_BY(mutex_);
  std::uint64_t next_serial_ ABSL_GUARDED_BY(mutex_) = 1;
  const std::string id_prefix_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  // Started by StartReaper and joined by StopAll, both from the thread that
  // owns the pool.
  std::thread reaper_;
  const std::string runtime_name_;
  std::vector<PoolObserver*> observers_ ABSL_GUARDED_BY(mutex_);
  std::vector<PoolEvent> pending_events_ ABSL_GUARDED_BY(mutex_);
  // Guards no field: held while events are delivered, so that they reach
  // observers in the order they were queued across threads. Taken before
  // mutex_.
  Mutex emit_mutex_ ABSL_ACQUIRED_BEFORE(mutex_);
};

}  // namespace mcpgw::runtime
