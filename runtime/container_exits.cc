#include "runtime/container_exits.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "absl/time/clock.h"

namespace mcpgw::runtime {
namespace {

constexpr std::chrono::milliseconds kReconnectDelay{1'000};

std::int64_t UnixNow() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

ContainerExits::ContainerExits(std::shared_ptr<const DockerEngine> engine)
    : engine_(std::move(engine)),
      // A second back: events of containers started right before count too.
      since_(UnixNow() - 1),
      thread_([this] { Run(); }) {}

ContainerExits::~ContainerExits() {
  stopping_.store(true);
  {
    MutexLock lock(mutex_);
    for (auto& [id, waiter] : waiters_) waiter->done = true;
    changed_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

ContainerEnding ContainerExits::WaitForExit(const std::string& id) {
  auto waiter = std::make_shared<Waiter>();
  {
    MutexLock lock(mutex_);
    if (stopping_.load()) return ContainerEnding{};
    waiters_.emplace(id, waiter);
  }
  // It may have ended before it was watched: the stream reports from
  // `since_` on, but look once to be sure.
  auto details = engine_->Inspect(id);
  if (!details.ok() && absl::IsNotFound(details.status())) {
    Resolve(id, ContainerEnding{});
  } else if (details.ok() && !details->running) {
    Resolve(id, ContainerEnding{true, details->exit_code});
  }
  MutexLock lock(mutex_);
  changed_.Wait(mutex_, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return waiter->done;
  });
  for (auto it = waiters_.lower_bound(id);
       it != waiters_.end() && it->first == id; ++it) {
    if (it->second == waiter) {
      waiters_.erase(it);
      break;
    }
  }
  return waiter->ending;
}

void ContainerExits::Resolve(const std::string& id, ContainerEnding ending) {
  MutexLock lock(mutex_);
  for (auto it = waiters_.lower_bound(id);
       it != waiters_.end() && it->first == id; ++it) {
    if (!it->second->done) {
      it->second->done = true;
      it->second->ending = ending;
    }
  }
  changed_.NotifyAll();
}

void ContainerExits::Reconcile() {
  std::vector<std::string> ids;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, waiter] : waiters_) {
      if (!waiter->done) ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    auto details = engine_->Inspect(id);
    if (!details.ok() && absl::IsNotFound(details.status())) {
      Resolve(id, ContainerEnding{});
    } else if (details.ok() && !details->running) {
      Resolve(id, ContainerEnding{true, details->exit_code});
    }
  }
}

void ContainerExits::Run() {
  bool warned = false;
  while (!stopping_.load()) {
    const std::int64_t since = since_;
    const auto status = engine_->StreamContainerEvents(
        since,
        [this](const EngineEvent& event) {
          if (event.type != "container" || event.action != "die") return;
          Resolve(event.id, event.exit_code
                                ? ContainerEnding{true, *event.exit_code}
                                : ContainerEnding{true, 0});
        },
        [this] { return stopping_.load(); });
    if (stopping_.load()) break;
    // Reopened from a little before it ended; what ended meanwhile shows up
    // in the replayed events or in the inspections.
    since_ = UnixNow() - 1;
    if (!status.ok() && !warned) {
      spdlog::warn("{}; retrying", std::string(status.message()));
      warned = true;
    } else if (status.ok()) {
      warned = false;
    }
    Reconcile();
    std::this_thread::sleep_for(kReconnectDelay);
  }
}

}  // namespace mcpgw::runtime
