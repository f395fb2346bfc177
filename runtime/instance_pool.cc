#include "runtime/instance_pool.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/random_token.h"
#include "common/text.h"
#include "policies/instance_key.h"
#include "runtime/idle_reaping.h"

namespace mcpgw::runtime {

// Every field is under the pool's mutex_, except `running` once it is set
// (set once under it, before anything outside the lock reads it).
struct PooledInstance {
  std::string id;
  std::string key;
  std::string redacted_target;
  std::optional<std::chrono::milliseconds> idle_timeout;
  InstanceState state = InstanceState::kStarting;
  std::unique_ptr<RunningInstance> running;  // set once Launch returned
  std::shared_ptr<const LeaseTarget> lease_target;  // made at its first lease
  bool ready_signalled = false;  // OnReady came, maybe before `running`
  bool stop_pending = false;     // asked to stop before `running` was set
  bool exited = false;
  int in_flight = 0;
  int open_streams = 0;
  std::uint64_t requests = 0;
  std::chrono::steady_clock::time_point last_used;
  std::chrono::system_clock::time_point started_at;
  std::chrono::system_clock::time_point last_used_wall;
  std::optional<std::chrono::system_clock::time_point> ready_at;
  std::vector<AcquireCallback> waiters;
  // Operations.
  std::uint64_t errors = 0;
  bool draining = false;
  StopReason stop_reason = StopReason::kIdle;
  SpawnKind spawn_kind = SpawnKind::kCold;

  InstanceUse Use() const {
    return {in_flight, open_streams, last_used, idle_timeout};
  }
};

// ---------------------------------------------------------------- Lease

// A lease's way back into this pool.
class InstancePool::Holder final : public LeaseHolder {
 public:
  Holder(InstancePool* pool, std::shared_ptr<PooledInstance> instance)
      : pool_(pool), instance_(std::move(instance)) {}
  void Release(bool stream_open) override { pool_->Release(instance_, stream_open); }
  void StreamOpened() override { pool_->StreamOpened(instance_); }
  void StreamClosed() override { pool_->StreamClosed(instance_); }
  void CountError() override { pool_->CountError(instance_); }

 private:
  InstancePool* pool_;
  std::shared_ptr<PooledInstance> instance_;
};

// --------------------------------------------------------------- Events

// Adapts runtime callbacks to the pool. The runtime may call after the pool
// is gone (a monitor thread outliving a timed-out StopAll), so the pool is
// reached through a liveness cell that the pool clears on destruction.
struct PoolLiveness {
  // Held while a runtime callback runs in the pool, so that the pool's
  // destructor waits for it. Taken before the pool's mutex_.
  Mutex mutex;
  InstancePool* pool ABSL_GUARDED_BY(mutex) = nullptr;
};

class InstancePool::Events final : public InstanceEvents {
 public:
  Events(std::shared_ptr<PoolLiveness> liveness, std::string id)
      : liveness_(std::move(liveness)), id_(std::move(id)) {}
  void OnReady() override {
    MutexLock lock(liveness_->mutex);
    if (liveness_->pool != nullptr) liveness_->pool->HandleReady(id_);
  }
  void OnExit(std::string reason) override {
    MutexLock lock(liveness_->mutex);
    if (liveness_->pool != nullptr) liveness_->pool->HandleExit(id_, reason);
  }

 private:
  std::shared_ptr<PoolLiveness> liveness_;
  std::string id_;
};

// ----------------------------------------------------------------- Pool

InstancePool::InstancePool(Runtime& runtime, const common::Clock& clock,
                           PoolOptions options)
    : runtime_(runtime),
      clock_(clock),
      options_(options),
      liveness_(std::make_shared<PoolLiveness>()),
      id_prefix_(text::Cat("i-", common::RandomHex(3), "-")),
      runtime_name_(runtime.name()) {
  MutexLock lock(liveness_->mutex);  // uncontended: for the analysis
  liveness_->pool = this;
}

InstancePool::~InstancePool() {
  StopAll(std::chrono::milliseconds(5'000));
  MutexLock lock(liveness_->mutex);
  liveness_->pool = nullptr;
}

std::size_t InstancePool::LiveCountLocked() const { return by_key_.size(); }

std::shared_ptr<PooledInstance> InstancePool::FindEvictableLocked() const {
  std::shared_ptr<PooledInstance> oldest;
  for (const auto& [key, instance] : by_key_) {
    if (instance->state != InstanceState::kReady || !IsUnused(instance->Use())) {
      continue;
    }
    if (oldest == nullptr || instance->last_used < oldest->last_used) {
      oldest = instance;
    }
  }
  return oldest;
}

std::shared_ptr<PooledInstance> InstancePool::BeginStopLocked(
    const std::shared_ptr<PooledInstance>& instance, const char* why,
    StopReason reason) {
  if (instance->state == InstanceState::kStopping) return nullptr;
  instance->stop_reason = reason;
  PoolEvent* event = QueueEventLocked(PoolEvent::Type::kStopping, *instance);
  spdlog::info("instance {}: stopping ({}) {}", instance->id, why,
               instance->redacted_target);
  instance->state = InstanceState::kStopping;
  auto it = by_key_.find(instance->key);
  if (it != by_key_.end() && it->second == instance) by_key_.erase(it);
  if (instance->running == nullptr) instance->stop_pending = true;
  if (event != nullptr) event->live_instances = LiveCountLocked();
  return instance;
}

namespace {
void StopOutsideLock(const std::vector<std::shared_ptr<PooledInstance>>& list) {
  for (const auto& instance : list) {
    // `running` is written once, under the pool lock, before any stop can be
    // scheduled for it with running set; stop_pending covers the other case.
    if (instance != nullptr && instance->running != nullptr) {
      instance->running->Stop();
    }
  }
}
}  // namespace

Lease InstancePool::LeaseReadyLocked(
    const std::shared_ptr<PooledInstance>& instance) {
  instance->in_flight += 1;
  instance->requests += 1;
  instance->last_used = clock_.Now();
  instance->last_used_wall = clock_.WallNow();
  if (instance->running) instance->running->NoteUse();
  return LeaseLocked(instance);
}

std::optional<Lease> InstancePool::TryAcquireReady(const std::string& key) {
  MutexLock lock(mutex_);
  if (stopping_) return std::nullopt;  // Acquire refuses it
  const auto it = by_key_.find(key);
  if (it == by_key_.end() || it->second->state != InstanceState::kReady) {
    return std::nullopt;
  }
  return LeaseReadyLocked(it->second);
}

void InstancePool::Acquire(AcquireRequest request, AcquireCallback done) {
  std::vector<std::shared_ptr<PooledInstance>> to_stop;
  std::shared_ptr<PooledInstance> instance;
  {
    MutexLock lock(mutex_);
    if (stopping_) {
      lock.Unlock();
      done(absl::AbortedError("the gateway is shutting down"));
      return;
    }
    auto it = by_key_.find(request.key);
    if (it != by_key_.end()) {
      auto& existing = it->second;
      if (existing->state == InstanceState::kReady) {
        Lease lease = LeaseReadyLocked(existing);
        lock.Unlock();
        done(std::move(lease));
        return;
      }
      existing->waiters.push_back(std::move(done));  // share its start
      return;
    }
    if (LiveCountLocked() >= static_cast<std::size_t>(options_.max_instances)) {
      auto victim = FindEvictableLocked();
      if (victim == nullptr) {
        PoolEvent refused;
        refused.type = PoolEvent::Type::kCapacityRefused;
        refused.runtime = runtime_name_;
        refused.live_instances = LiveCountLocked();
        refused.max_instances = options_.max_instances;
        pending_events_.push_back(std::move(refused));
        lock.Unlock();
        EmitEvents();
        done(absl::ResourceExhaustedError(text::Cat(
            "all ", options_.max_instances,
            " database instances are busy; retry shortly")));
        return;
      }
      to_stop.push_back(
          BeginStopLocked(victim, "evicted to make room", StopReason::kEvicted));
    }
    instance = std::make_shared<PooledInstance>();
    instance->id = text::Cat(id_prefix_, next_serial_++);
    instance->key = request.key;
    instance->redacted_target = request.redacted_target;
    instance->idle_timeout = request.idle_timeout;
    instance->started_at = clock_.WallNow();
    instance->last_used = clock_.Now();
    instance->last_used_wall = instance->started_at;
    instance->waiters.push_back(std::move(done));
    by_key_[instance->key] = instance;
    by_id_[instance->id] = instance;
    QueueEventLocked(PoolEvent::Type::kStarting, *instance);
  }
  EmitEvents();
  StopOutsideLock(to_stop);

  auto launch = [this, instance, request = std::move(request)]() mutable {
    if (options_.launch_on) {
      // Handed over: the pool may have begun to stop since. No process is
      // started then; the waiters hear why.
      bool stopping;
      {
        MutexLock lock(mutex_);
        stopping = stopping_;
      }
      if (stopping) {
        HandleExit(instance->id, "the gateway is shutting down");
        return;
      }
    }
    Start(instance, std::move(request),
          [this](const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
            return runtime_.Launch(spec, std::move(events));
          })
        .IgnoreError();  // the waiters have heard it through HandleExit
  };
  if (options_.launch_on) {
    options_.launch_on(std::move(launch));
  } else {
    launch();
  }
}

absl::Status InstancePool::Start(const std::shared_ptr<PooledInstance>& instance,
                                 AcquireRequest request, AttachFunction start) {
  LaunchSpec spec{instance->id, std::move(request.dsn),
                  instance->redacted_target, std::move(request.secrets),
                  policies::KeyPrefix(instance->key),
                  std::move(request.dbhub_config),
                  std::move(request.secret_env), instance->key,
                  std::move(request.secret_key_env)};
  auto started = start(spec, std::make_shared<Events>(liveness_, instance->id));
  if (!started.ok()) {
    HandleExit(instance->id, std::string(started.status().message()));
    return started.status();
  }
  // The runtime may have signalled ready, or the pool been asked to stop
  // the instance, before `start` returned the handle: finish that now.
  bool stop_now = false;
  bool ready_now = false;
  {
    MutexLock lock(mutex_);
    instance->running = *std::move(started);
    if (instance->running->from_warm_pool()) {
      instance->spawn_kind = SpawnKind::kWarm;
    }
    stop_now = instance->stop_pending && !instance->exited;
    ready_now = instance->ready_signalled && !instance->exited;
  }
  if (stop_now) instance->running->Stop();
  if (ready_now && !stop_now) HandleReady(instance->id);
  return absl::OkStatus();
}

absl::StatusOr<std::string> InstancePool::Adopt(AcquireRequest request,
                                                AttachFunction attach) {
  auto instance = std::make_shared<PooledInstance>();
  {
    MutexLock lock(mutex_);
    if (stopping_) return absl::AbortedError("the gateway is shutting down");
    if (by_key_.count(request.key) != 0) {
      return absl::AlreadyExistsError("an instance for that key exists");
    }
    if (LiveCountLocked() >= static_cast<std::size_t>(options_.max_instances)) {
      return absl::ResourceExhaustedError("the pool is full");
    }
    instance->id = text::Cat(id_prefix_, next_serial_++);
    instance->key = request.key;
    instance->redacted_target = request.redacted_target;
    instance->started_at = clock_.WallNow();
    instance->last_used = clock_.Now();
    instance->last_used_wall = instance->started_at;
    by_key_[instance->key] = instance;
    by_id_[instance->id] = instance;
  }
  if (auto status = Start(instance, std::move(request), std::move(attach));
      !status.ok()) {
    return status;
  }
  return instance->id;
}

Lease InstancePool::LeaseLocked(
    const std::shared_ptr<PooledInstance>& instance) {
  // The endpoint is known once the instance is ready and stays what it is
  // while it runs (`running` is set once).
  if (instance->lease_target == nullptr) {
    instance->lease_target = std::make_shared<const LeaseTarget>(
        instance->id, instance->running->endpoint());
  }
  return Lease(instance->lease_target, std::make_unique<Holder>(this, instance));
}

void InstancePool::HandleReady(const std::string& id) {
  std::vector<AcquireCallback> waiters;
  std::vector<Lease> leases;
  {
    MutexLock lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    auto instance = it->second;
    instance->ready_signalled = true;
    // Leases need the endpoint, known once Launch has returned; Acquire
    // calls back here when it has.
    if (instance->running == nullptr ||
        instance->state != InstanceState::kStarting) {
      return;
    }
    instance->state = InstanceState::kReady;
    instance->ready_at = clock_.WallNow();
    instance->last_used = clock_.Now();
    instance->last_used_wall = *instance->ready_at;
    waiters = std::move(instance->waiters);
    instance->waiters.clear();
    for (std::size_t i = 0; i < waiters.size(); ++i) {
      instance->in_flight += 1;
      instance->requests += 1;
      leases.push_back(LeaseLocked(instance));
    }
    spdlog::info("instance {}: ready ({} waiting)", id, waiters.size());
    QueueEventLocked(PoolEvent::Type::kReady, *instance);
  }
  EmitEvents();
  for (std::size_t i = 0; i < waiters.size(); ++i) {
    waiters[i](std::move(leases[i]));
  }
}

void InstancePool::HandleExit(const std::string& id,
                              const std::string& reason) {
  std::vector<AcquireCallback> waiters;
  std::string target;
  std::vector<std::function<void(const std::string&)>> listeners;
  {
    MutexLock lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    auto instance = it->second;
    by_id_.erase(it);
    // StopAll waits for this exit's callbacks too, not only for by_id_ to
    // empty: they may hold resources (a handler's backend sockets) that must
    // not outlive what the gateway destroys once StopAll returns.
    exits_in_progress_ += 1;
    auto key_it = by_key_.find(instance->key);
    if (key_it != by_key_.end() && key_it->second == instance) {
      by_key_.erase(key_it);
    }
    instance->exited = true;
    target = instance->redacted_target;
    waiters = std::move(instance->waiters);
    instance->waiters.clear();
    switch (instance->state) {
      case InstanceState::kStarting:
        spdlog::warn("instance {}: DBHub for {} could not start: {}", id,
                     target, reason);
        if (auto* event = QueueEventLocked(PoolEvent::Type::kFailed, *instance)) {
          event->reason = reason;
        }
        break;
      case InstanceState::kReady:
        spdlog::warn("instance {}: DBHub for {} exited unexpectedly: {}", id,
                     target, reason);
        if (auto* event = QueueEventLocked(PoolEvent::Type::kFailed, *instance)) {
          event->reason = reason;
        }
        break;
      case InstanceState::kStopping:
        spdlog::info("instance {}: stopped", id);
        break;
    }
    listeners = gone_listeners_;
    if (auto* event = QueueEventLocked(PoolEvent::Type::kExited, *instance)) {
      event->reason = reason;
    }
    changed_.NotifyAll();
  }
  for (auto& waiter : waiters) {
    waiter(absl::UnavailableError(text::Cat(
        "the database server (DBHub) for ", target, " could not start: ",
        reason)));
  }
  for (auto& listener : listeners) listener(id);
  EmitEvents();
  MutexLock lock(mutex_);
  exits_in_progress_ -= 1;
  changed_.NotifyAll();
}

void InstancePool::Release(const std::shared_ptr<PooledInstance>& instance,
                           bool stream) {
  std::shared_ptr<PooledInstance> drained;
  {
    MutexLock lock(mutex_);
    instance->in_flight -= 1;
    if (stream) instance->open_streams -= 1;
    instance->last_used = clock_.Now();
    instance->last_used_wall = clock_.WallNow();
    if (instance->running) instance->running->NoteUse();
    drained = StopIfDrainedLocked(instance);
  }
  if (drained != nullptr) {
    EmitEvents();
    StopOutsideLock({drained});
  }
}

void InstancePool::StreamOpened(
    const std::shared_ptr<PooledInstance>& instance) {
  MutexLock lock(mutex_);
  instance->open_streams += 1;
}

void InstancePool::StreamClosed(
    const std::shared_ptr<PooledInstance>& instance) {
  std::shared_ptr<PooledInstance> drained;
  {
    MutexLock lock(mutex_);
    instance->open_streams -= 1;
    instance->last_used = clock_.Now();
    instance->last_used_wall = clock_.WallNow();
    drained = StopIfDrainedLocked(instance);
  }
  if (drained != nullptr) {
    EmitEvents();
    StopOutsideLock({drained});
  }
}

int InstancePool::ReapIdle() {
  std::vector<std::shared_ptr<PooledInstance>> to_stop;
  {
    MutexLock lock(mutex_);
    const auto now = clock_.Now();
    std::vector<std::shared_ptr<PooledInstance>> idle;
    for (const auto& [key, instance] : by_key_) {
      if (instance->state != InstanceState::kReady) continue;
      const InstanceUse use = instance->Use();
      if (instance->running && !IsUnused(use)) {
        instance->running->NoteUse();  // a long request or stream is a use
      }
      if (IsIdle(use, options_.idle_timeout, now)) idle.push_back(instance);
    }
    for (const auto& instance : idle) {
      to_stop.push_back(BeginStopLocked(instance, "idle", StopReason::kIdle));
    }
  }
  EmitEvents();
  StopOutsideLock(to_stop);
  return static_cast<int>(to_stop.size());
}

void InstancePool::StartReaper() {
  const auto interval = ReaperInterval(options_.idle_timeout);
  reaper_ = std::thread([this, interval] {
    for (;;) {
      {
        MutexLock lock(mutex_);
        if (changed_.WaitFor(mutex_, interval,
                             [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
                               return stopping_;
                             })) {
          return;
        }
      }
      ReapIdle();
    }
  });
}

bool InstancePool::StopAll(std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<PooledInstance>> to_stop;
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    for (const auto& [id, instance] : by_id_) {
      if (auto stopped = BeginStopLocked(instance, "gateway stopping",
                                         StopReason::kShutdown)) {
        to_stop.push_back(stopped);
      }
    }
    changed_.NotifyAll();
  }
  EmitEvents();
  StopOutsideLock(to_stop);
  if (reaper_.joinable()) reaper_.join();
  MutexLock lock(mutex_);
  return changed_.WaitFor(mutex_, timeout,
                          [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
                            return by_id_.empty() && exits_in_progress_ == 0;
                          });
}

std::vector<InstanceSnapshot> InstancePool::Snapshot() const {
  return Collect(/*ask_runtime=*/true);
}

std::vector<InstanceSnapshot> InstancePool::StateSnapshot() const {
  return Collect(/*ask_runtime=*/false);
}

std::vector<InstanceSnapshot> InstancePool::Collect(bool ask_runtime) const {
  std::vector<InstanceSnapshot> out;
  // What the runtime tells of each instance (memory from /proc, a pod's
  // node...) is asked outside the lock: it may read files or ask an API.
  std::vector<std::shared_ptr<PooledInstance>> inspected;
  MutexLock lock(mutex_);
  for (const auto& [id, instance] : by_id_) {
    InstanceSnapshot snap;
    snap.id = instance->id;
    snap.key_prefix = policies::KeyPrefix(instance->key);
    snap.redacted_target = instance->redacted_target;
    snap.runtime = runtime_.name();
    snap.state = instance->state;
    if (instance->running != nullptr) {
      snap.pid = instance->running->pid();
      snap.port = instance->running->endpoint().port;
      if (auto container = instance->running->container()) {
        snap.container_id = container->id;
        snap.image = container->image;
      }
    }
    snap.started_at = instance->started_at;
    snap.ready_at = instance->ready_at;
    snap.last_used_at = instance->last_used_wall;
    snap.in_flight = instance->in_flight;
    snap.open_streams = instance->open_streams;
    snap.requests = instance->requests;
    snap.errors = instance->errors;
    snap.draining = instance->draining;
    out.push_back(std::move(snap));
    inspected.push_back(instance);
  }
  lock.Unlock();
  // `running` is set once, before any snapshot sees it, and lives as long
  // as the PooledInstance held here.
  for (std::size_t i = 0; ask_runtime && i < out.size(); ++i) {
    if (const auto& running = inspected[i]->running; running != nullptr) {
      out[i].memory_bytes = running->MemoryBytes();
      out[i].details = running->Details();
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.started_at < b.started_at;
  });
  return out;
}

std::size_t InstancePool::size() const {
  MutexLock lock(mutex_);
  return by_id_.size();
}

void InstancePool::OnInstanceGone(
    std::function<void(const std::string&)> listener) {
  MutexLock lock(mutex_);
  gone_listeners_.push_back(std::move(listener));
}

void InstancePool::OnInstanceDraining(
    std::function<void(const std::string&)> listener) {
  MutexLock lock(mutex_);
  draining_listeners_.push_back(std::move(listener));
}

// ------------------------------------------------------------ Operations

PoolEvent* InstancePool::QueueEventLocked(PoolEvent::Type type,
                                          const PooledInstance& instance) {
  if (observers_.empty()) return nullptr;
  PoolEvent event;
  event.type = type;
  event.instance_id = instance.id;
  event.key_prefix = policies::KeyPrefix(instance.key);
  event.redacted_target = instance.redacted_target;
  event.runtime = runtime_name_;
  event.state = instance.state;
  event.stop_reason = instance.stop_reason;
  event.spawn_kind = instance.spawn_kind;
  if (type == PoolEvent::Type::kReady && instance.ready_at.has_value()) {
    event.spawn_latency = std::chrono::duration_cast<std::chrono::milliseconds>(
        *instance.ready_at - instance.started_at);
  }
  event.live_instances = LiveCountLocked();
  event.max_instances = options_.max_instances;
  pending_events_.push_back(std::move(event));
  return &pending_events_.back();
}

void InstancePool::EmitEvents() {
  // Taken even when nothing waits: events queued by this thread may be
  // being delivered by another, and return means they have been.
  MutexLock emit_lock(emit_mutex_);
  std::vector<PoolEvent> events;
  std::vector<PoolObserver*> observers;
  {
    MutexLock lock(mutex_);
    // Most calls (a lease taken or given back) have nothing to emit: no
    // copy of the observers then.
    if (pending_events_.empty()) return;
    events.swap(pending_events_);
    observers = observers_;
  }
  for (const auto& event : events) {
    for (auto* observer : observers) observer->OnPoolEvent(event);
  }
}

void InstancePool::AddObserver(PoolObserver* observer) {
  MutexLock lock(mutex_);
  observers_.push_back(observer);
}

void InstancePool::CountError(const std::shared_ptr<PooledInstance>& instance) {
  MutexLock lock(mutex_);
  instance->errors += 1;
}

std::shared_ptr<PooledInstance> InstancePool::StopIfDrainedLocked(
    const std::shared_ptr<PooledInstance>& instance) {
  if (!instance->draining || instance->state != InstanceState::kReady ||
      instance->in_flight > 0 || instance->open_streams > 0) {
    return nullptr;
  }
  return BeginStopLocked(instance, "drained", StopReason::kDrained);
}

absl::Status InstancePool::Drain(const std::string& id) {
  std::shared_ptr<PooledInstance> to_stop;
  std::vector<std::function<void(const std::string&)>> listeners;
  {
    MutexLock lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
      return absl::NotFoundError(text::Cat("no instance ", id));
    }
    auto instance = it->second;
    if (instance->state == InstanceState::kStopping) return absl::OkStatus();
    if (!instance->draining) {
      spdlog::info("instance {}: draining", id);
      instance->draining = true;
      QueueEventLocked(PoolEvent::Type::kDraining, *instance);
      listeners = draining_listeners_;
      // Out of routing: the next request for this key starts a new instance.
      auto key_it = by_key_.find(instance->key);
      if (key_it != by_key_.end() && key_it->second == instance) {
        by_key_.erase(key_it);
      }
    }
    to_stop = StopIfDrainedLocked(instance);
  }
  EmitEvents();
  if (to_stop != nullptr) StopOutsideLock({to_stop});
  for (const auto& listener : listeners) listener(id);
  return absl::OkStatus();
}

absl::Status InstancePool::StopInstance(const std::string& id) {
  std::shared_ptr<PooledInstance> to_stop;
  {
    MutexLock lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
      return absl::NotFoundError(text::Cat("no instance ", id));
    }
    to_stop = BeginStopLocked(it->second, "deleted by an operator",
                              StopReason::kDeleted);
  }
  EmitEvents();
  if (to_stop != nullptr) StopOutsideLock({to_stop});
  return absl::OkStatus();
}

std::optional<std::string> InstancePool::RecentOutput(
    const std::string& id) const {
  std::shared_ptr<PooledInstance> instance;
  {
    MutexLock lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    instance = it->second;
    if (instance->running == nullptr) return std::string();
  }
  // `running` is set once and lives as long as the instance record.
  return instance->running->RecentOutput();
}

std::optional<InstanceSnapshot> InstancePool::SnapshotOf(
    const std::string& id) const {
  for (auto& snap : Snapshot()) {
    if (snap.id == id) return std::move(snap);
  }
  return std::nullopt;
}

PoolStats InstancePool::Stats() const {
  PoolStats stats;
  stats.max_instances = options_.max_instances;
  MutexLock lock(mutex_);
  for (const auto& [id, instance] : by_id_) {
    if (instance->state == InstanceState::kStopping) {
      stats.stopping += 1;
    } else if (instance->draining) {
      stats.draining += 1;
    } else if (instance->state == InstanceState::kStarting) {
      stats.starting += 1;
    } else {
      stats.ready += 1;
    }
    stats.in_flight += instance->in_flight;
    stats.open_streams += instance->open_streams;
  }
  return stats;
}

}  // namespace mcpgw::runtime
