#pragma once
// Turns a target key into a lease on a ready instance: reuses the instance
// for that key, or starts one (concurrent first requests share one start),
// evicts the least recently used idle instance when full, and reaps idle
// ones. All state changes happen under one mutex; runtime calls and
// callbacks happen outside it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "runtime/clock.h"
#include "runtime/runtime.h"

namespace mcpgw::runtime {

struct PoolOptions {
  std::chrono::milliseconds idle_timeout{300'000};
  int max_instances = 32;
};

struct AcquireRequest {
  std::string key;  // instance key (HMAC of the canonical target)
  std::string dsn;  // secret, only for launching
  std::string redacted_target;
  std::vector<std::string> secrets;
  // See LaunchSpec: a DBHub config and the environment it interpolates.
  std::string dbhub_config = {};
  std::vector<std::string> secret_env = {};
  // This instance's idle timeout (a tenant's); unset: the pool's.
  std::optional<std::chrono::milliseconds> idle_timeout = {};
};

enum class InstanceState { kStarting, kReady, kStopping };
const char* ToString(InstanceState state);

// Why the pool stopped an instance (metrics, logs, webhooks).
enum class StopReason { kIdle, kEvicted, kDrained, kDeleted, kShutdown };
const char* ToString(StopReason reason);

// How a new instance came to be: a fresh start, or a claimed warm-pool worker
// (RunningInstance::from_warm_pool). Known once Launch returned: set on
// kReady events, not on kStarting.
enum class SpawnKind { kCold, kWarm };
const char* ToString(SpawnKind kind);

// A lifecycle event, delivered to PoolObservers outside the pool's lock.
// Nothing secret: the target is redacted, the key shortened.
struct PoolEvent {
  enum class Type {
    kStarting,          // a spawn began
    kReady,             // it answers; spawn_latency is set
    kFailed,            // could not start, or died while ready; reason set
    kStopping,          // the pool asked it to stop; stop_reason set
    kExited,            // it is gone (after kStopping or kFailed)
    kCapacityRefused,   // a request was refused: full, nothing idle
  };
  Type type = Type::kStarting;
  std::string instance_id;
  std::string key_prefix;
  std::string redacted_target;
  std::string runtime;
  // The instance's state when the event happened (kFailed: kStarting means
  // it never came up, kReady that it died).
  InstanceState state = InstanceState::kStarting;
  StopReason stop_reason = StopReason::kIdle;
  std::string reason;  // redacted
  SpawnKind spawn_kind = SpawnKind::kCold;
  std::chrono::milliseconds spawn_latency{0};
  // Live (starting + ready, not draining) instances after the event.
  std::size_t live_instances = 0;
  int max_instances = 0;
};
const char* ToString(PoolEvent::Type type);

// Subscribes metrics, logs and webhooks to the pool. Called from whichever
// thread caused the event, never under the pool's lock; must be quick.
class PoolObserver {
 public:
  virtual ~PoolObserver() = default;
  virtual void OnPoolEvent(const PoolEvent& event) = 0;
};

// Counts for autoscalers and the metrics endpoint.
struct PoolStats {
  int starting = 0;
  int ready = 0;
  int draining = 0;
  int stopping = 0;
  int in_flight = 0;
  int open_streams = 0;
  int max_instances = 0;
};

// What the admin API shows of an instance: nothing secret.
struct InstanceSnapshot {
  std::string id;
  std::string key_prefix;
  std::string redacted_target;
  std::string runtime;
  InstanceState state;
  std::optional<int> pid;
  std::uint16_t port = 0;
  std::chrono::system_clock::time_point started_at;
  std::optional<std::chrono::system_clock::time_point> ready_at;
  std::chrono::system_clock::time_point last_used_at;
  int in_flight = 0;
  int open_streams = 0;
  std::uint64_t requests = 0;
  // Set for container instances.
  std::optional<std::string> container_id;
  std::optional<std::string> image;
  std::uint64_t errors = 0;  // requests the gateway saw fail at the instance
  bool draining = false;     // takes no new requests; stops once idle
};

struct PooledInstance;
struct PoolLiveness;
class InstancePool;

// The right to send requests to one ready instance. While any lease is held
// the instance is neither reaped nor evicted. Move-only.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  const std::string& instance_id() const { return id_; }
  const Endpoint& endpoint() const { return endpoint_; }

  // An open response stream (SSE) counts as activity until closed.
  void StreamOpened();
  void StreamClosed();
  // The instance failed this request (no or a cut-short answer).
  void CountError();

 private:
  friend class InstancePool;
  Lease(InstancePool* pool, std::shared_ptr<PooledInstance> instance);
  void Release();

  InstancePool* pool_ = nullptr;
  std::shared_ptr<PooledInstance> instance_;
  std::string id_;
  Endpoint endpoint_;
  bool stream_open_ = false;
};

using AcquireCallback = absl::AnyInvocable<void(absl::StatusOr<Lease>)>;

// Hands the pool an instance that already runs (a container an earlier run
// of the gateway left), watched by the runtime like a launched one.
using AttachFunction =
    absl::AnyInvocable<absl::StatusOr<std::unique_ptr<RunningInstance>>(
        const LaunchSpec&, std::shared_ptr<InstanceEvents>)>;

class InstancePool {
 public:
  InstancePool(Runtime& runtime, const Clock& clock, PoolOptions options);
  ~InstancePool();
  InstancePool(const InstancePool&) = delete;
  InstancePool& operator=(const InstancePool&) = delete;

  // Calls `done` exactly once, possibly on another thread, possibly before
  // returning. Errors: ResourceExhausted (full, nothing idle to evict),
  // Unavailable (the instance could not start), Aborted (the pool is
  // stopping).
  void Acquire(AcquireRequest request, AcquireCallback done);

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

  std::vector<InstanceSnapshot> Snapshot() const;
  std::size_t size() const;

  // Called (outside the pool's lock) with an instance id once that instance
  // has exited, so that holders of per-instance resources can drop them.
  void OnInstanceGone(std::function<void(const std::string&)> listener);

  // --- Operations (admin API, metrics, autoscaler hooks) ---
  // Registers an observer for lifecycle events; call before traffic starts.
  // The observer must outlive the pool's activity (StopAll).
  void AddObserver(PoolObserver* observer);
  // Takes the instance out of routing (new requests for its key get a new
  // instance) and stops it once nothing is in flight. NotFound if unknown.
  absl::Status Drain(const std::string& id);
  // Stops the instance now; requests in flight on it fail. NotFound if
  // unknown; OK if it is already stopping.
  absl::Status StopInstance(const std::string& id);
  // The instance's recent output (already redacted); nullopt if unknown.
  std::optional<std::string> RecentOutput(const std::string& id) const;
  std::optional<InstanceSnapshot> SnapshotOf(const std::string& id) const;
  PoolStats Stats() const;
  const std::string& runtime_name() const { return runtime_name_; }
  int max_instances() const { return options_.max_instances; }

 private:
  friend class Lease;
  class Events;

  // Gives a new instance its runtime handle through `start` (a launch or an
  // attach) and catches up on events that came before the handle did.
  absl::Status Start(const std::shared_ptr<PooledInstance>& instance,
                     AcquireRequest request, AttachFunction start);
  void HandleReady(const std::string& id);
  void HandleExit(const std::string& id, const std::string& reason);
  void Release(const std::shared_ptr<PooledInstance>& instance, bool stream);
  void StreamOpened(const std::shared_ptr<PooledInstance>& instance);
  void StreamClosed(const std::shared_ptr<PooledInstance>& instance);
  // Marks an instance stopping and returns it for a Stop() outside the lock.
  std::shared_ptr<PooledInstance> BeginStopLocked(
      const std::shared_ptr<PooledInstance>& instance, const char* why,
      StopReason reason = StopReason::kIdle);
  std::shared_ptr<PooledInstance> FindEvictableLocked() const;
  std::size_t LiveCountLocked() const;
  // Queues an event under the lock; EmitEvents delivers them after it.
  // Returns the queued event (to add details), nullptr without observers.
  PoolEvent* QueueEventLocked(PoolEvent::Type type,
                              const PooledInstance& instance);
  void EmitEvents();
  void CountError(const std::shared_ptr<PooledInstance>& instance);
  // Stops a draining instance once it is idle; returns it for Stop().
  std::shared_ptr<PooledInstance> StopIfDrainedLocked(
      const std::shared_ptr<PooledInstance>& instance);

  Runtime& runtime_;
  const Clock& clock_;
  const PoolOptions options_;
  // Lets runtime callbacks that outlive the pool find it gone.
  const std::shared_ptr<PoolLiveness> liveness_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Starting and ready instances by key; stopping ones are only in by_id_.
  std::unordered_map<std::string, std::shared_ptr<PooledInstance>> by_key_;
  std::unordered_map<std::string, std::shared_ptr<PooledInstance>> by_id_;
  // Exits whose waiters, listeners and events are still being called.
  int exits_in_progress_ = 0;
  std::vector<std::function<void(const std::string&)>> gone_listeners_;
  std::uint64_t next_serial_ = 1;
  const std::string id_prefix_;
  bool stopping_ = false;
  std::thread reaper_;
  const std::string runtime_name_;
  std::vector<PoolObserver*> observers_;
  std::vector<PoolEvent> pending_events_;  // under mutex_
  std::mutex emit_mutex_;  // keeps events in order across threads
};

}  // namespace mcpgw::runtime
