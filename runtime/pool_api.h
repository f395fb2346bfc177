#pragma once
// What the gateway knows of the runtime: plain structs and the pool's
// interface. gateway_lib links this (runtime_api) and nothing else of
// runtime/: whether an instance is a process, a container or a pod arrives
// as data (InstanceSnapshot), never as a type.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/runtime.h"

namespace mcpgw::runtime {

struct AcquireRequest {
  std::string key;  // instance key (HMAC of the canonical target)
  std::string dsn;  // secret, only for launching
  std::string redacted_target;
  std::vector<std::string> secrets;
  // See LaunchSpec: a DBHub config and the environment it interpolates.
  std::string dbhub_config = {};
  std::vector<std::string> secret_env = {};
  std::vector<SecretKeyEnv> secret_key_env = {};
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
    kDraining,          // takes no new requests; stops once idle
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
  // What differs per runtime, from the instance itself (RunningInstance):
  // memory where the runtime can tell, and named facts (pod, node, ...).
  std::optional<std::uint64_t> memory_bytes;
  std::map<std::string, std::string> details;
};

// The pool's side of one lease: where it goes back to.
class LeaseHolder {
 public:
  virtual ~LeaseHolder() = default;
  virtual void Release(bool stream_open) = 0;
  virtual void StreamOpened() = 0;
  virtual void StreamClosed() = 0;
  virtual void CountError() = 0;
};

// Where a lease's requests go: one per ready instance, shared by all its
// leases. A lease is moved a dozen times a request (through the pool's
// callback and the handler's frames): two pointers move cheaper than the
// three strings this holds (issue 19).
struct LeaseTarget {
  LeaseTarget() = default;
  LeaseTarget(std::string instance_id, Endpoint endpoint);

  std::string instance_id;
  Endpoint endpoint;
  // The fields every HTTP request to the instance carries, as they go on
  // the wire: "Host: <host>:<port>\r\nAuthorization: Bearer <token>\r\n"
  // (DBHub refuses a Host it does not know and a request without its
  // token). Written once here, not on every request.
  std::string request_fields;
};

// LeaseTarget::request_fields for `endpoint`.
std::string InstanceRequestFields(const Endpoint& endpoint);

// The right to send requests to one ready instance. While any lease is held
// the instance is neither reaped nor evicted. Move-only.
class Lease {
 public:
  Lease(std::shared_ptr<const LeaseTarget> target,
        std::unique_ptr<LeaseHolder> holder);
  // A lease with a target of its own (tests, fakes).
  Lease(std::string instance_id, Endpoint endpoint,
        std::unique_ptr<LeaseHolder> holder);
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  // Empty (and a default endpoint) once moved from.
  const std::string& instance_id() const { return Target().instance_id; }
  const Endpoint& endpoint() const { return Target().endpoint; }
  const std::string& request_fields() const { return Target().request_fields; }

  // An open response stream (SSE) counts as activity until closed.
  void StreamOpened();
  void StreamClosed();
  // The instance failed this request (no or a cut-short answer).
  void CountError();

 private:
  void Release();
  const LeaseTarget& Target() const;

  std::unique_ptr<LeaseHolder> holder_;
  std::shared_ptr<const LeaseTarget> target_;
  bool stream_open_ = false;
};

using AcquireCallback = absl::AnyInvocable<void(absl::StatusOr<Lease>)>;

// The warm pool of the process runtime (runtime/warm_pool.h), as the admin
// API and the metrics show it.
enum class WarmPoolState { kChecking, kActive, kDisabled, kStopped };
const char* ToString(WarmPoolState state);

struct WarmPoolStats {
  WarmPoolState state = WarmPoolState::kChecking;
  std::string reason;  // why the pool is disabled
  int size = 0;        // workers it keeps
  int idle = 0;        // warm, waiting for a claim
  int warming = 0;     // started, still loading
  std::uint64_t hits = 0;      // launches that got a worker
  std::uint64_t misses = 0;    // launches that found none
  std::uint64_t spawned = 0;   // workers started
  std::uint64_t replaced = 0;  // workers that died or hung before a claim
  std::optional<std::chrono::milliseconds> last_refill;  // spawn → warm
  std::optional<std::chrono::milliseconds> mean_refill;
  std::vector<int> idle_pids;
  std::string dbhub_version;
};

// The instance pool as the gateway uses it (runtime/instance_pool.h is the
// implementation; tests may give their own).
class InstancePoolApi {
 public:
  virtual ~InstancePoolApi() = default;
  // Calls `done` exactly once, possibly on another thread, possibly before
  // returning. Errors: ResourceExhausted (full, nothing idle to evict),
  // Unavailable (the instance could not start), Aborted (the pool is
  // stopping).
  virtual void Acquire(AcquireRequest request, AcquireCallback done) = 0;
  // A lease on the instance for `key` when it is ready now, as Acquire
  // would give it; nullopt otherwise (none, starting, or the pool
  // stopping), and Acquire decides. The usual request's path: no launch
  // request built, no completion posted back (issue 19). By default there
  // never is one.
  virtual std::optional<Lease> TryAcquireReady(const std::string& key) {
    (void)key;
    return std::nullopt;
  }
  // Every instance with what its runtime tells (memory from /proc, a pod's
  // details): may read files or ask an API, so never on an I/O thread.
  virtual std::vector<InstanceSnapshot> Snapshot() const = 0;
  // The same from the pool's own state only (memory_bytes and details left
  // empty): never blocks, for the request path.
  virtual std::vector<InstanceSnapshot> StateSnapshot() const = 0;
  virtual std::optional<InstanceSnapshot> SnapshotOf(const std::string& id) const = 0;
  virtual PoolStats Stats() const = 0;
  virtual std::size_t size() const = 0;
  // Called (outside the pool's lock) with an instance id once that instance
  // has exited, so that holders of per-instance resources can drop them.
  virtual void OnInstanceGone(std::function<void(const std::string&)> listener) = 0;
  // Called (outside the pool's lock) with an instance id when that instance
  // begins to drain.
  virtual void OnInstanceDraining(
      std::function<void(const std::string&)> listener) = 0;
  // Registers an observer for lifecycle events; call before traffic starts.
  virtual void AddObserver(PoolObserver* observer) = 0;
  // Takes the instance out of routing and stops it once nothing is in
  // flight. NotFound if unknown.
  virtual absl::Status Drain(const std::string& id) = 0;
  // Stops the instance now. NotFound if unknown; OK if already stopping.
  virtual absl::Status StopInstance(const std::string& id) = 0;
  // The instance's recent output (already redacted); nullopt if unknown.
  virtual std::optional<std::string> RecentOutput(const std::string& id) const = 0;
  virtual const std::string& runtime_name() const = 0;
  virtual int max_instances() const = 0;
};

}  // namespace mcpgw::runtime
