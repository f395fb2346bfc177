#include "gateway/http/io_threads.h"

#include <algorithm>
#include <functional>

#include <boost/asio/post.hpp>

#include "gateway/observability/structured_log.h"

namespace mcpgw::gateway {

IoThreads::IoThreads(int count) {
  const auto loops = static_cast<std::size_t>(std::max(count, 1));
  for (std::size_t i = 0; i < loops; ++i) {
    // One thread runs each loop: Asio may then skip the locking a loop
    // shared by threads needs.
    loops_.push_back(std::make_unique<EventLoop>(1));
    keep_running_.emplace_back(std::in_place,
                               loops_.back()->get_executor());
  }
}

IoThreads::~IoThreads() {
  Stop();
  Join();
}

EventLoop& IoThreads::NextForConnection() {
  const auto index = next_.fetch_add(1, std::memory_order_relaxed);
  return *loops_[index % loops_.size()];
}

void IoThreads::Start() {
  for (auto& loop : loops_) {
    threads_.emplace_back([&loop] {
      // The lines a burst of handlers logs go out in one write, once the
      // burst has run (the access log writes a line a request).
      logs::DeferLogWritesOnThisThread([&loop](std::function<void()> write) {
        boost::asio::post(*loop, std::move(write));
      });
      loop->run();
    });
  }
}

void IoThreads::Stop() {
  for (auto& loop : loops_) loop->stop();
}

void IoThreads::Join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void IoThreads::DestroyPendingWork() {
  keep_running_.clear();
  for (auto& loop : loops_) loop->DestroyPendingWork();
}

}  // namespace mcpgw::gateway
