#pragma once
// Notices containers ending, for every watcher at once, from one stream of
// engine events (plus a look at each watched container whenever the stream
// had to be reopened, so that nothing ends unnoticed while it was down).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "runtime/docker_engine.h"

namespace mcpgw::runtime {

struct ContainerEnding {
  bool known = false;  // false: the container is gone, its exit code with it
  int exit_code = 0;
};

class ContainerExits {
 public:
  explicit ContainerExits(std::shared_ptr<const DockerEngine> engine);
  ~ContainerExits();
  ContainerExits(const ContainerExits&) = delete;
  ContainerExits& operator=(const ContainerExits&) = delete;

  // Blocks until container `id` is not running (or the watcher is shut down,
  // which returns unknown).
  ContainerEnding WaitForExit(const std::string& id);

 private:
  // Both fields under the ContainerExits' mutex_.
  struct Waiter {
    bool done = false;
    ContainerEnding ending;
  };
  void Run();
  void Resolve(const std::string& id, ContainerEnding ending);
  // Inspects every watched container; resolves those that ended.
  void Reconcile();

  const std::shared_ptr<const DockerEngine> engine_;
  Mutex mutex_;
  CondVar changed_;  // a waiter is done
  std::multimap<std::string, std::shared_ptr<Waiter>> waiters_
      ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> stopping_{false};
  // Unix seconds: events from here on. Only the thread (Run) uses it after
  // construction.
  std::int64_t since_ = 0;
  std::thread thread_;
};

}  // namespace mcpgw::runtime
