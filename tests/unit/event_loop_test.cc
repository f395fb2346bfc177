// The gateway's shutdown order: frames a stopped event loop still holds
// (requests the grace period cut) release their leases while the pool is
// alive, when EventLoop::DestroyPendingWork runs before the pool goes.

#include "gateway/http/event_loop.h"

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "runtime/instance_pool.h"

namespace mcpgw::gateway {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Instances that are ready at once and exit when stopped.
class InstantRuntime final : public runtime::Runtime {
 public:
  std::string name() const override { return "instant"; }
  absl::StatusOr<std::unique_ptr<runtime::RunningInstance>> Launch(
      const runtime::LaunchSpec&,
      std::shared_ptr<runtime::InstanceEvents> events) override {
    events->OnReady();
    return std::unique_ptr<runtime::RunningInstance>(
        new Instance(std::move(events)));
  }

 private:
  class Instance final : public runtime::RunningInstance {
   public:
    explicit Instance(std::shared_ptr<runtime::InstanceEvents> events)
        : events_(std::move(events)) {}
    const runtime::Endpoint& endpoint() const override { return endpoint_; }
    std::optional<int> pid() const override { return std::nullopt; }
    void Stop() override {
      if (!stopped_) {
        stopped_ = true;
        events_->OnExit("stopped");
      }
    }
    std::string RecentOutput() const override { return ""; }

   private:
    std::shared_ptr<runtime::InstanceEvents> events_;
    runtime::Endpoint endpoint_{"127.0.0.1", 1, "token"};
    bool stopped_ = false;
  };
};

// What a request's frame holds: a lease, and here a witness of its end.
struct Held {
  Held(runtime::Lease lease, bool* released)
      : lease(std::move(lease)), released(released) {}
  ~Held() { *released = true; }
  runtime::Lease lease;
  bool* released;
};

// A request the grace period cuts: holds its lease and waits for an answer
// that never comes.
asio::awaitable<void> CutRequest(std::unique_ptr<Held> held, bool* resumed) {
  asio::steady_timer never(co_await asio::this_coro::executor,
                           std::chrono::hours(1));
  co_await never.async_wait(asio::use_awaitable);
  *resumed = held != nullptr;
}

TEST(EventLoop, PendingFramesReleaseTheirLeasesBeforeThePoolGoes) {
  InstantRuntime runtime;
  // As in RunGateway: the clock first (it outlives everything), the loop
  // before the pool, so that it outlives it; its pending work goes before
  // the pool.
  const common::SystemClock clock;
  EventLoop io(1);
  auto pool = std::make_unique<runtime::InstancePool>(
      runtime, clock, runtime::PoolOptions{});
  std::optional<absl::StatusOr<runtime::Lease>> acquired;
  pool->Acquire({"key", "sqlite:///x.db", "sqlite:///x.db", {}},
                [&](absl::StatusOr<runtime::Lease> lease) {
                  acquired.emplace(std::move(lease));
                });
  ASSERT_TRUE(acquired && acquired->ok());
  bool resumed = false;
  bool released = false;
  asio::co_spawn(io,
                 CutRequest(std::make_unique<Held>(std::move(**acquired),
                                                   &released),
                            &resumed),
                 asio::detached);
  acquired.reset();
  // A socket of the context that outlives the pending work, as the
  // instance connections kept by the handlers do.
  asio::ip::tcp::socket idle(io);
  idle.open(asio::ip::tcp::v4());
  io.run_for(milliseconds(50));
  io.stop();
  EXPECT_EQ(pool->Stats().in_flight, 1);
  EXPECT_FALSE(released);

  // The shutdown: instances stopped, then the cut requests' frames
  // destroyed (not resumed) while the pool and its clock still exist.
  EXPECT_TRUE(pool->StopAll(milliseconds(1000)));
  io.DestroyPendingWork();
  EXPECT_FALSE(resumed);
  EXPECT_TRUE(released);  // with the pool still there
  // What still belongs to the context can be closed and dropped later.
  idle.close();
  pool.reset();
  // `io` goes next; its destructor finds nothing left to destroy.
}

}  // namespace
}  // namespace mcpgw::gateway
