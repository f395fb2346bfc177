// The pool's state machine, driven by a fake runtime and a manual clock: no
// processes, no sleeps.

#include "runtime/instance_pool.h"

#include "common/manual_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

namespace mcpgw::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using common::ManualClock;

// One launched fake instance; the test decides when it is ready or exits.
struct FakeLaunch {
  LaunchSpec spec;
  std::shared_ptr<InstanceEvents> events;
  bool stop_requested = false;
  bool exited = false;
  void Ready() { events->OnReady(); }
  void Exit(const std::string& reason) {
    if (exited) return;
    exited = true;
    events->OnExit(reason);
  }
};

class FakeRuntime final : public Runtime {
 public:
  std::string name() const override { return "fake"; }

  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override {
    if (!launch_error.ok()) return launch_error;
    auto launch = std::make_shared<FakeLaunch>();
    launch->spec = spec;
    launch->events = std::move(events);
    launches.push_back(launch);
    return std::unique_ptr<RunningInstance>(
        new Instance(launch, static_cast<std::uint16_t>(40000 + launches.size()),
                     exit_on_stop));
  }

  std::vector<std::shared_ptr<FakeLaunch>> launches;
  absl::Status launch_error = absl::OkStatus();
  bool exit_on_stop = true;

 private:
  class Instance final : public RunningInstance {
   public:
    Instance(std::shared_ptr<FakeLaunch> launch, std::uint16_t port,
             bool exit_on_stop)
        : launch_(std::move(launch)), exit_on_stop_(exit_on_stop) {
      endpoint_ = {"127.0.0.1", port, "token"};
    }
    const Endpoint& endpoint() const override { return endpoint_; }
    std::optional<int> pid() const override { return endpoint_.port; }
    void Stop() override {
      launch_->stop_requested = true;
      if (exit_on_stop_) launch_->Exit("stopped by the gateway");
    }
    std::string RecentOutput() const override { return ""; }

   private:
    std::shared_ptr<FakeLaunch> launch_;
    Endpoint endpoint_;
    bool exit_on_stop_;
  };
};

// Collects what Acquire delivered. The slot is shared with the callback:
// a start still pending when a test ends is failed later, by the pool's
// destructor, after the test's locals are gone.
struct Outcome {
  using Slot = std::optional<absl::StatusOr<Lease>>;
  std::shared_ptr<Slot> slot = std::make_shared<Slot>();
  Slot& result = *slot;
  AcquireCallback Callback() {
    return [slot = slot](absl::StatusOr<Lease> r) { slot->emplace(std::move(r)); };
  }
  bool done() const { return result.has_value(); }
  bool ok() const { return result.has_value() && result->ok(); }
};

AcquireRequest RequestFor(const std::string& key) {
  return AcquireRequest{key, "sqlite:///" + key + ".db", "sqlite:///" + key,
                        {}};
}

class InstancePoolTest : public testing::Test {
 protected:
  InstancePool& MakePool(milliseconds idle = milliseconds(10'000),
                         int max_instances = 4) {
    pool_ = std::make_unique<InstancePool>(
        runtime_, clock_, PoolOptions{idle, max_instances});
    return *pool_;
  }
  const InstanceSnapshot* Find(const std::string& id) {
    snapshot_ = pool_->Snapshot();
    for (const auto& s : snapshot_) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }

  FakeRuntime runtime_;
  ManualClock clock_;
  std::unique_ptr<InstancePool> pool_;
  std::vector<InstanceSnapshot> snapshot_;
};

TEST_F(InstancePoolTest, ConcurrentFirstRequestsShareOneStart) {
  auto& pool = MakePool();
  Outcome a, b, c;
  pool.Acquire(RequestFor("k1"), a.Callback());
  pool.Acquire(RequestFor("k1"), b.Callback());
  pool.Acquire(RequestFor("k1"), c.Callback());
  ASSERT_EQ(runtime_.launches.size(), 1u);
  EXPECT_FALSE(a.done() || b.done() || c.done());
  EXPECT_EQ(runtime_.launches[0]->spec.dsn, "sqlite:///k1.db");

  runtime_.launches[0]->Ready();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const auto& id = (*a.result)->instance_id();
  EXPECT_EQ((*b.result)->instance_id(), id);
  EXPECT_EQ(Find(id)->in_flight, 3);
  EXPECT_EQ(Find(id)->requests, 3u);
  EXPECT_EQ(Find(id)->state, InstanceState::kReady);
}

// With launch_on, a new instance is launched where the launch is sent (the
// gateway's launch threads), not on the thread that acquires it; a launch
// that runs once the pool is stopping starts nothing and fails its waiters.
TEST_F(InstancePoolTest, LaunchesRunWhereLaunchOnSendsThem) {
  std::vector<absl::AnyInvocable<void()>> handed;
  pool_ = std::make_unique<InstancePool>(
      runtime_, clock_,
      PoolOptions{.idle_timeout = milliseconds(10'000),
                  .max_instances = 4,
                  .launch_on = [&handed](absl::AnyInvocable<void()> launch) {
                    handed.push_back(std::move(launch));
                  }});
  Outcome a, b;
  pool_->Acquire(RequestFor("k1"), a.Callback());
  pool_->Acquire(RequestFor("k1"), b.Callback());
  EXPECT_TRUE(runtime_.launches.empty());
  ASSERT_EQ(handed.size(), 1u);  // one start, shared
  auto listed = pool_->StateSnapshot();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, InstanceState::kStarting);
  handed[0]();
  ASSERT_EQ(runtime_.launches.size(), 1u);
  runtime_.launches[0]->Ready();
  ASSERT_TRUE(a.ok() && b.ok());
  a.result.reset();
  b.result.reset();

  Outcome late;
  pool_->Acquire(RequestFor("k2"), late.Callback());
  ASSERT_EQ(handed.size(), 2u);
  std::thread stopper([this] { pool_->StopAll(seconds(30)); });
  // Stopping once new acquisitions are refused.
  bool refused = false;
  for (int i = 0; i < 3000 && !refused; ++i) {
    Outcome probe;
    pool_->Acquire(RequestFor("k3"), probe.Callback());
    refused = probe.done() && !probe.ok();
    if (!refused) std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_TRUE(refused);
  // k2's launch (and a probe's, if one came before the stop).
  for (std::size_t i = 1; i < handed.size(); ++i) handed[i]();
  stopper.join();
  ASSERT_TRUE(late.done());
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(runtime_.launches.size(), 1u);  // k2 never launched
  pool_.reset();
}

TEST_F(InstancePoolTest, ReadyInstanceIsReusedAndDifferentKeysGetTheirOwn) {
  auto& pool = MakePool();
  Outcome first;
  pool.Acquire(RequestFor("k1"), first.Callback());
  runtime_.launches[0]->Ready();
  Outcome again, other;
  pool.Acquire(RequestFor("k1"), again.Callback());
  pool.Acquire(RequestFor("k2"), other.Callback());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again.result)->instance_id(), (*first.result)->instance_id());
  EXPECT_EQ(runtime_.launches.size(), 2u);
  EXPECT_FALSE(other.done());
}

TEST_F(InstancePoolTest, LeasesOnOneInstanceShareItsTargetAndMoveWithIt) {
  auto& pool = MakePool();
  Outcome first, second;
  pool.Acquire(RequestFor("k1"), first.Callback());
  runtime_.launches[0]->Ready();
  pool.Acquire(RequestFor("k1"), second.Callback());
  ASSERT_TRUE(first.ok() && second.ok());
  Lease& a = **first.result;
  Lease& b = **second.result;
  // One target for the instance, its fields written once for the wire.
  EXPECT_EQ(&a.endpoint(), &b.endpoint());
  EXPECT_EQ(a.request_fields(),
            "Host: 127.0.0.1:40001\r\nAuthorization: Bearer token\r\n");
  const std::string id = a.instance_id();
  Lease moved = std::move(a);
  EXPECT_EQ(moved.instance_id(), id);
  EXPECT_EQ(moved.endpoint().port, 40001);
  // The lease moved from is empty: no target, nothing to release.
  EXPECT_EQ(a.instance_id(), "");
  EXPECT_EQ(a.request_fields(), "");
  EXPECT_EQ(Find(id)->in_flight, 2);
  b = std::move(moved);  // b's own lease goes back, moved's stays held
  EXPECT_EQ(Find(id)->in_flight, 1);
  EXPECT_EQ(b.instance_id(), id);
}

TEST_F(InstancePoolTest, TryAcquireReadyLeasesOnlyAReadyInstance) {
  auto& pool = MakePool();
  const std::string key = RequestFor("k1").key;
  EXPECT_FALSE(pool.TryAcquireReady(key).has_value());  // none yet
  Outcome first;
  pool.Acquire(RequestFor("k1"), first.Callback());
  EXPECT_FALSE(pool.TryAcquireReady(key).has_value());  // starting
  EXPECT_EQ(runtime_.launches.size(), 1u);              // and none started
  runtime_.launches[0]->Ready();
  ASSERT_TRUE(first.ok());
  const std::string id = (*first.result)->instance_id();
  clock_.Advance(seconds(5));
  auto ready = pool.TryAcquireReady(key);
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->instance_id(), id);
  EXPECT_EQ(&ready->endpoint(), &(*first.result)->endpoint());
  // Counted as Acquire counts it: in flight, one more request, used now.
  EXPECT_EQ(Find(id)->in_flight, 2);
  EXPECT_EQ(Find(id)->requests, 2u);
  ready.reset();
  EXPECT_EQ(Find(id)->in_flight, 1);
  EXPECT_FALSE(pool.TryAcquireReady(RequestFor("k2").key).has_value());
  first.result.reset();
  pool.StopAll(seconds(5));
  EXPECT_FALSE(pool.TryAcquireReady(key).has_value());  // stopping
}

TEST_F(InstancePoolTest, LeaseReleaseDropsInFlight) {
  auto& pool = MakePool();
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  runtime_.launches[0]->Ready();
  const std::string id = (*a.result)->instance_id();
  a.result.reset();  // destroys the lease
  EXPECT_EQ(Find(id)->in_flight, 0);
}

TEST_F(InstancePoolTest, FailedStartFailsEveryWaiterWithTheReason) {
  auto& pool = MakePool();
  Outcome a, b;
  pool.Acquire(RequestFor("k1"), a.Callback());
  pool.Acquire(RequestFor("k1"), b.Callback());
  runtime_.launches[0]->Exit("connect ECONNREFUSED 127.0.0.1:1");
  ASSERT_TRUE(a.done() && b.done());
  EXPECT_EQ(a.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(a.result->status().message()).find("ECONNREFUSED"),
            std::string::npos);
  EXPECT_EQ(pool.size(), 0u);
  // The next request tries again.
  Outcome c;
  pool.Acquire(RequestFor("k1"), c.Callback());
  EXPECT_EQ(runtime_.launches.size(), 2u);
}

TEST_F(InstancePoolTest, LaunchErrorIsReportedAndNothingIsLeft) {
  auto& pool = MakePool();
  runtime_.launch_error = absl::InternalError("cannot start node: ENOENT");
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  ASSERT_TRUE(a.done());
  EXPECT_FALSE(a.ok());
  EXPECT_NE(std::string(a.result->status().message()).find("ENOENT"),
            std::string::npos);
  EXPECT_EQ(pool.size(), 0u);
}

TEST_F(InstancePoolTest, IdleInstancesAreReapedOnlyAfterTheTimeoutAndWhenUnused) {
  auto& pool = MakePool(milliseconds(5'000));
  Outcome busy, idle;
  pool.Acquire(RequestFor("busy"), busy.Callback());
  pool.Acquire(RequestFor("idle"), idle.Callback());
  runtime_.launches[0]->Ready();
  runtime_.launches[1]->Ready();
  idle.result.reset();  // release: idle from now on

  clock_.Advance(milliseconds(4'999));
  EXPECT_EQ(pool.ReapIdle(), 0);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(pool.ReapIdle(), 1);  // the busy one holds a lease
  EXPECT_TRUE(runtime_.launches[1]->stop_requested);
  EXPECT_FALSE(runtime_.launches[0]->stop_requested);
  EXPECT_EQ(pool.size(), 1u);
}

TEST_F(InstancePoolTest, AnOpenStreamKeepsAnInstanceFromBeingReaped) {
  auto& pool = MakePool(milliseconds(1'000));
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  runtime_.launches[0]->Ready();
  Lease lease = *std::move(*a.result);
  lease.StreamOpened();
  const std::string id = lease.instance_id();
  EXPECT_EQ(Find(id)->open_streams, 1);
  clock_.Advance(seconds(10));
  EXPECT_EQ(pool.ReapIdle(), 0);
  lease.StreamClosed();
  EXPECT_EQ(Find(id)->open_streams, 0);
  { Lease done = std::move(lease); }
  clock_.Advance(seconds(2));
  EXPECT_EQ(pool.ReapIdle(), 1);
}

TEST_F(InstancePoolTest, WhenFullTheLeastRecentlyUsedIdleInstanceIsEvicted) {
  auto& pool = MakePool(milliseconds(60'000), 2);
  Outcome a, b;
  pool.Acquire(RequestFor("a"), a.Callback());
  runtime_.launches[0]->Ready();
  clock_.Advance(seconds(1));
  pool.Acquire(RequestFor("b"), b.Callback());
  runtime_.launches[1]->Ready();
  a.result.reset();
  clock_.Advance(seconds(1));
  b.result.reset();  // b used more recently than a

  Outcome c;
  pool.Acquire(RequestFor("c"), c.Callback());
  EXPECT_TRUE(runtime_.launches[0]->stop_requested);
  EXPECT_FALSE(runtime_.launches[1]->stop_requested);
  ASSERT_EQ(runtime_.launches.size(), 3u);
}

TEST_F(InstancePoolTest, WhenFullAndNothingIsIdleTheRequestIsRefused) {
  auto& pool = MakePool(milliseconds(60'000), 1);
  Outcome a;
  pool.Acquire(RequestFor("a"), a.Callback());
  runtime_.launches[0]->Ready();  // `a` keeps its lease
  Outcome b;
  pool.Acquire(RequestFor("b"), b.Callback());
  ASSERT_TRUE(b.done());
  EXPECT_EQ(b.result->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(runtime_.launches.size(), 1u);
  // A starting instance is not idle either.
  Outcome c;
  a.result.reset();
  pool.Acquire(RequestFor("c"), c.Callback());  // evicts a, starts c
  Outcome d;
  pool.Acquire(RequestFor("d"), d.Callback());
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.result->status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(InstancePoolTest, ACrashedInstanceIsReplacedOnTheNextRequest) {
  auto& pool = MakePool();
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  runtime_.launches[0]->Ready();
  a.result.reset();
  // Shared: the listener is called again when the pool stops, after this
  // test's locals are gone.
  auto gone = std::make_shared<std::vector<std::string>>();
  pool.OnInstanceGone([gone](const std::string& id) { gone->push_back(id); });
  runtime_.launches[0]->Exit("killed by signal 9");
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(gone->size(), 1u);
  Outcome b;
  pool.Acquire(RequestFor("k1"), b.Callback());
  ASSERT_EQ(runtime_.launches.size(), 2u);
  runtime_.launches[1]->Ready();
  EXPECT_TRUE(b.ok());
}

TEST_F(InstancePoolTest, ReadyBeforeLaunchReturnsIsHandled) {
  // A runtime may signal readiness from its own thread before Launch has
  // returned; the pool must still hand out a lease with the endpoint.
  class EagerRuntime final : public Runtime {
   public:
    std::string name() const override { return "eager"; }
    absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
        const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) override {
      inner.exit_on_stop = true;
      auto result = inner.Launch(spec, events);
      events->OnReady();
      return result;
    }
    FakeRuntime inner;
  } eager;
  InstancePool pool(eager, clock_, PoolOptions{});
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a.result)->endpoint().port, 40001);
}

TEST_F(InstancePoolTest, StopAllWaitsForExitCallbacksToReturn) {
  // What the gateway destroys once StopAll returns (a handler and its
  // sockets) must not still be in use by an exit callback.
  runtime_.exit_on_stop = false;
  auto& pool = MakePool();
  Outcome a;
  pool.Acquire(RequestFor("a"), a.Callback());
  runtime_.launches[0]->Ready();
  a.result.reset();

  auto entered = std::make_shared<std::promise<void>>();
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  auto first = std::make_shared<std::atomic<bool>>(true);
  pool.OnInstanceGone([entered, released, first](const std::string&) {
    if (!first->exchange(false)) return;
    entered->set_value();
    released.wait();
  });
  std::thread exiter([&] { runtime_.launches[0]->Exit("killed by signal 9"); });
  entered->get_future().wait();

  // The instance is gone from the pool, but its exit callback still runs.
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_FALSE(pool.StopAll(milliseconds(50)));
  release->set_value();
  exiter.join();
  EXPECT_TRUE(pool.StopAll(milliseconds(1000)));
}

TEST_F(InstancePoolTest, StopAllStopsEverythingAndRefusesNewWork) {
  auto& pool = MakePool();
  Outcome a, b;
  pool.Acquire(RequestFor("a"), a.Callback());
  pool.Acquire(RequestFor("b"), b.Callback());
  runtime_.launches[0]->Ready();
  EXPECT_TRUE(pool.StopAll(milliseconds(100)));
  EXPECT_TRUE(runtime_.launches[0]->stop_requested);
  EXPECT_TRUE(runtime_.launches[1]->stop_requested);
  ASSERT_TRUE(b.done());  // its start was cut short
  EXPECT_FALSE(b.ok());
  Outcome c;
  pool.Acquire(RequestFor("c"), c.Callback());
  ASSERT_TRUE(c.done());
  EXPECT_EQ(c.result->status().code(), absl::StatusCode::kAborted);
}

TEST_F(InstancePoolTest, SnapshotShowsNothingSecret) {
  auto& pool = MakePool();
  Outcome a;
  AcquireRequest request{"0123456789abcdefXYZ", "postgres://u:hunter2@h/db",
                         "postgres://u:***@h:5432/db", {"hunter2"}};
  pool.Acquire(request, a.Callback());
  runtime_.launches[0]->Ready();
  const auto snapshot = pool.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].redacted_target, "postgres://u:***@h:5432/db");
  EXPECT_EQ(snapshot[0].key_prefix, "0123456789ab");
  EXPECT_EQ(snapshot[0].runtime, "fake");
  EXPECT_TRUE(snapshot[0].ready_at.has_value());
}


// ------------------------------------------------- Operations (issue 7)

namespace ops {

struct Recorder final : PoolObserver {
  void OnPoolEvent(const PoolEvent& event) override { events.push_back(event); }
  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(ToString(e.type));
    return out;
  }
  std::vector<PoolEvent> events;
};

class PoolOperationsTest : public InstancePoolTest {
 protected:
  InstancePool& MakeObservedPool(milliseconds idle = milliseconds(10'000),
                                 int max_instances = 4) {
    auto& pool = MakePool(idle, max_instances);
    pool.AddObserver(&recorder_);
    return pool;
  }
  // The pool reports to the recorder until it is gone.
  void TearDown() override { pool_.reset(); }

  std::string ReadyInstance(InstancePool& pool, Outcome& lease,
                            const std::string& key = "k1") {
    pool.Acquire(RequestFor(key), lease.Callback());
    runtime_.launches.back()->Ready();
    EXPECT_TRUE(lease.ok());
    return lease.ok() ? (*lease.result)->instance_id() : "";
  }

  Recorder recorder_;
};

TEST_F(PoolOperationsTest, LifecycleEventsReachObservers) {
  auto& pool = MakeObservedPool(milliseconds(1'000));
  Outcome a;
  const auto id = ReadyInstance(pool, a);
  clock_.Advance(milliseconds(250));
  a.result.reset();
  clock_.Advance(milliseconds(1'000));
  EXPECT_EQ(pool.ReapIdle(), 1);
  EXPECT_EQ(recorder_.Types(),
            (std::vector<std::string>{"starting", "ready", "stopping", "exited"}));
  const auto& stopping = recorder_.events[2];
  EXPECT_EQ(stopping.instance_id, id);
  EXPECT_EQ(stopping.stop_reason, StopReason::kIdle);
  EXPECT_EQ(stopping.runtime, "fake");
  EXPECT_EQ(stopping.redacted_target, "sqlite:///k1");
  EXPECT_EQ(stopping.key_prefix, "k1");
  EXPECT_EQ(recorder_.events[1].spawn_kind, SpawnKind::kCold);
}

TEST_F(PoolOperationsTest, FailedStartAndEvictionAndRefusalAreReported) {
  auto& pool = MakeObservedPool(milliseconds(10'000), 1);
  Outcome a;
  pool.Acquire(RequestFor("k1"), a.Callback());
  runtime_.launches[0]->Exit("boom");
  ASSERT_GE(recorder_.events.size(), 2u);
  EXPECT_EQ(recorder_.events[1].type, PoolEvent::Type::kFailed);
  EXPECT_EQ(recorder_.events[1].state, InstanceState::kStarting);
  EXPECT_EQ(recorder_.events[1].reason, "boom");

  Outcome b, c;
  ReadyInstance(pool, b, "k2");
  pool.Acquire(RequestFor("k3"), c.Callback());  // k2 busy: refused
  ASSERT_TRUE(c.done());
  EXPECT_EQ(recorder_.events.back().type, PoolEvent::Type::kCapacityRefused);
  EXPECT_EQ(recorder_.events.back().max_instances, 1);

  b.result.reset();
  Outcome d;
  pool.Acquire(RequestFor("k4"), d.Callback());  // k2 idle: evicted
  bool evicted = false;
  for (const auto& e : recorder_.events) {
    evicted = evicted || (e.type == PoolEvent::Type::kStopping &&
                          e.stop_reason == StopReason::kEvicted);
  }
  EXPECT_TRUE(evicted);
}

TEST_F(PoolOperationsTest, DrainTakesNoNewRequestsAndStopsWhenIdle) {
  auto& pool = MakeObservedPool();
  Outcome a;
  const auto id = ReadyInstance(pool, a);
  ASSERT_TRUE(pool.Drain(id).ok());
  ASSERT_NE(Find(id), nullptr);
  EXPECT_TRUE(Find(id)->draining);
  EXPECT_FALSE(runtime_.launches[0]->stop_requested);  // a lease is held
  EXPECT_EQ(pool.Stats().draining, 1);

  Outcome b;  // same key: a new instance, not the draining one
  pool.Acquire(RequestFor("k1"), b.Callback());
  EXPECT_EQ(runtime_.launches.size(), 2u);

  a.result.reset();  // the last request ends: the instance stops
  EXPECT_TRUE(runtime_.launches[0]->stop_requested);
  EXPECT_EQ(Find(id), nullptr);
  bool drained = false;
  for (const auto& e : recorder_.events) {
    drained = drained || (e.type == PoolEvent::Type::kStopping &&
                          e.stop_reason == StopReason::kDrained);
  }
  EXPECT_TRUE(drained);
  EXPECT_TRUE(absl::IsNotFound(pool.Drain("i-nope")));
}

TEST_F(PoolOperationsTest, StopInstanceStopsAtOnceEvenWithRequestsInFlight) {
  auto& pool = MakeObservedPool();
  Outcome a;
  const auto id = ReadyInstance(pool, a);
  ASSERT_TRUE(pool.StopInstance(id).ok());
  EXPECT_TRUE(runtime_.launches[0]->stop_requested);
  EXPECT_TRUE(pool.StopInstance(id).ok() ||
              absl::IsNotFound(pool.StopInstance(id)));
  EXPECT_TRUE(absl::IsNotFound(pool.StopInstance("i-nope")));
  EXPECT_FALSE(pool.RecentOutput("i-nope").has_value());
}

TEST_F(PoolOperationsTest, StatsAndErrors) {
  auto& pool = MakeObservedPool();
  Outcome a, b;
  const auto id = ReadyInstance(pool, a);
  pool.Acquire(RequestFor("k2"), b.Callback());
  (*a.result)->CountError();
  const auto stats = pool.Stats();
  EXPECT_EQ(stats.ready, 1);
  EXPECT_EQ(stats.starting, 1);
  EXPECT_EQ(stats.in_flight, 1);
  EXPECT_EQ(stats.max_instances, 4);
  ASSERT_TRUE(pool.SnapshotOf(id).has_value());
  EXPECT_EQ(pool.SnapshotOf(id)->errors, 1u);
  EXPECT_EQ(pool.RecentOutput(id), "");
}

}  // namespace ops

}  // namespace
}  // namespace mcpgw::runtime

namespace mcpgw::runtime {
namespace {

// A request cut by the shutdown releases its lease after StopAll (the
// gateway destroys the cut requests' frames once the instances are
// stopped): harmless, nothing restarted, the counts right.
TEST_F(InstancePoolTest, ALeaseReleasedAfterStopAllIsHarmless) {
  auto& pool = MakePool();
  Outcome a, b;
  pool.Acquire(RequestFor("a"), a.Callback());
  pool.Acquire(RequestFor("a"), b.Callback());
  runtime_.launches[0]->Ready();
  ASSERT_TRUE(a.ok() && b.ok());
  (*b.result)->StreamOpened();
  ASSERT_TRUE(pool.Drain((*a.result)->instance_id()).ok());
  EXPECT_TRUE(pool.StopAll(milliseconds(100)));
  EXPECT_TRUE(runtime_.launches[0]->stop_requested);
  EXPECT_EQ(pool.size(), 0u);
  // After the stop: counts and a stream closed, errors counted, the leases
  // released; no new launch, no crash.
  (*b.result)->CountError();
  (*b.result)->StreamClosed();
  a.result.reset();
  b.result.reset();
  EXPECT_EQ(runtime_.launches.size(), 1u);
  EXPECT_EQ(pool.Stats().in_flight, 0);
  EXPECT_EQ(pool.Stats().open_streams, 0);
  EXPECT_TRUE(pool.StopAll(milliseconds(100)));
}

}  // namespace
}  // namespace mcpgw::runtime
