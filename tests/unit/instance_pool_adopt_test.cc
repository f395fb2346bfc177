// InstancePool::Adopt: a running instance handed over by the runtime (a
// container left by an earlier gateway) serves its key like a launched one.

#include <gtest/gtest.h>

#include "common/manual_clock.h"
#include "runtime/instance_pool.h"

namespace mcpgw::runtime {
namespace {

class AttachedInstance final : public RunningInstance {
 public:
  explicit AttachedInstance(std::shared_ptr<InstanceEvents> events)
      : events_(std::move(events)) {}
  const Endpoint& endpoint() const override { return endpoint_; }
  std::optional<int> pid() const override { return 4242; }
  void Stop() override {
    if (!exited_) {
      exited_ = true;
      events_->OnExit("stopped by the gateway");
    }
  }
  std::string RecentOutput() const override { return ""; }
  std::optional<ContainerInfo> container() const override {
    return ContainerInfo{"c0ffee", "dbhub:test"};
  }

 private:
  std::shared_ptr<InstanceEvents> events_;
  Endpoint endpoint_{"127.0.0.1", 45678, "token"};
  bool exited_ = false;
};

// Launches nothing: every instance in these tests is adopted.
class NoLaunchRuntime final : public Runtime {
 public:
  std::string name() const override { return "docker"; }
  absl::StatusOr<std::unique_ptr<RunningInstance>> Launch(
      const LaunchSpec&, std::shared_ptr<InstanceEvents>) override {
    ++launches;
    return absl::UnavailableError("no launches here");
  }
  int launches = 0;
};

AcquireRequest Request(const std::string& key) {
  return AcquireRequest{key, "", "sqlite:///" + key, {}};
}

// An attach function that becomes ready at once (as the docker runtime's
// watcher does for a healthy container) and records the spec it got.
AttachFunction ReadyAttach(LaunchSpec* seen = nullptr) {
  return [seen](const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events)
             -> absl::StatusOr<std::unique_ptr<RunningInstance>> {
    if (seen != nullptr) *seen = spec;
    events->OnReady();
    return std::make_unique<AttachedInstance>(std::move(events));
  };
}

class InstancePoolAdoptTest : public testing::Test {
 protected:
  NoLaunchRuntime runtime_;
  common::ManualClock clock_;  // never moved
  InstancePool pool_{runtime_, clock_, PoolOptions{std::chrono::seconds(60), 2}};
};

TEST_F(InstancePoolAdoptTest, AdoptedInstanceServesItsKeyWithoutALaunch) {
  LaunchSpec seen;
  auto id = pool_.Adopt(Request("k1"), ReadyAttach(&seen));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(seen.instance_id, *id);
  EXPECT_EQ(seen.key_prefix, "k1");

  std::optional<absl::StatusOr<Lease>> got;
  pool_.Acquire(Request("k1"), [&](absl::StatusOr<Lease> lease) {
    got.emplace(std::move(lease));
  });
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ((*got)->instance_id(), *id);
  EXPECT_EQ((*got)->endpoint().port, 45678);
  EXPECT_EQ(runtime_.launches, 0);
}

TEST_F(InstancePoolAdoptTest, SnapshotShowsTheContainer) {
  ASSERT_TRUE(pool_.Adopt(Request("k1"), ReadyAttach()).ok());
  const auto snapshot = pool_.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].state, InstanceState::kReady);
  EXPECT_EQ(snapshot[0].container_id, "c0ffee");
  EXPECT_EQ(snapshot[0].image, "dbhub:test");
  EXPECT_EQ(snapshot[0].runtime, "docker");
}

TEST_F(InstancePoolAdoptTest, ASecondInstanceForOneKeyIsRefused) {
  ASSERT_TRUE(pool_.Adopt(Request("k1"), ReadyAttach()).ok());
  auto again = pool_.Adopt(Request("k1"), ReadyAttach());
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_EQ(pool_.size(), 1u);
}

TEST_F(InstancePoolAdoptTest, AFullPoolRefusesAdoption) {
  ASSERT_TRUE(pool_.Adopt(Request("k1"), ReadyAttach()).ok());
  ASSERT_TRUE(pool_.Adopt(Request("k2"), ReadyAttach()).ok());
  auto third = pool_.Adopt(Request("k3"), ReadyAttach());
  EXPECT_TRUE(absl::IsResourceExhausted(third.status())) << third.status();
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(InstancePoolAdoptTest, AFailedAttachLeavesNothing) {
  auto failed = pool_.Adopt(
      Request("k1"),
      [](const LaunchSpec&, std::shared_ptr<InstanceEvents>)
          -> absl::StatusOr<std::unique_ptr<RunningInstance>> {
        return absl::UnavailableError("gone");
      });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(pool_.size(), 0u);
}

TEST_F(InstancePoolAdoptTest, AdoptedInstancesAreStoppedWithTheRest) {
  ASSERT_TRUE(pool_.Adopt(Request("k1"), ReadyAttach()).ok());
  EXPECT_TRUE(pool_.StopAll(std::chrono::seconds(1)));
  EXPECT_EQ(pool_.size(), 0u);
}

}  // namespace
}  // namespace mcpgw::runtime
