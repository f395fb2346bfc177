#pragma once
// A pool of pre-started DBHub workers (runtime/dbhub_preloader.mjs): Node has
// already loaded DBHub's modules, which is most of a bare start's second, but
// the worker holds no DSN and listens on nothing. Launch claims one and hands
// it its DSN over its stdin pipe; DBHub is then ready in tens of
// milliseconds. A worker serves one target for life and never comes back; a
// thread of the pool's own refills it in the background.
//
// Before trusting the preloader the pool checks it once, end to end: the
// DBHub version it was tested with, every module loaded, and a claim with an
// in-memory SQLite DSN that answers /healthz. If that fails, or workers keep
// dying before they are warm, the pool turns itself off with a warning and
// every launch is a plain spawn.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "runtime/instance_sandbox.h"
#include "runtime/pool_api.h"
#include "runtime/state_records.h"
#include "runtime/warm_protocol.h"

namespace mcpgw::runtime {

struct WarmPoolOptions {
  std::string node_path;
  std::string preloader_path;  // runtime/dbhub_preloader.mjs
  std::string dbhub_entry;     // DBHub's dist/index.js
  // Parent of the workers' private working directories.
  std::filesystem::path work_root;
  int size = 2;
  // From spawn to the worker's "warm" report, and from the start-up check's
  // claim to a ready /healthz.
  std::chrono::milliseconds warm_timeout{30'000};
  StateRecords* records = nullptr;  // optional
  // Workers are confined before they preload, so a claimed worker holds the
  // same limits as a cold start (its sqlite files must lie in a write path).
  InstanceSandbox sandbox;
};

// A worker taken out of the pool. Whoever claimed it owns its process, its
// pipes and its working directory.
struct WarmWorker {
  std::string record_id;  // its id in StateRecords while unclaimed
  pid_t pid = -1;
  int output_fd = -1;   // joined stdout+stderr
  int stdin_fd = -1;    // where the claim goes; closing it ends the worker
  int control_fd = -1;  // the worker's reports
  std::filesystem::path work_dir;
  std::chrono::steady_clock::time_point spawned_at;
};

// Hands `claim` to `worker`. On error the worker is unusable: stop it.
absl::Status SendClaim(const WarmWorker& worker, const WarmClaim& claim);


class WarmPool {
 public:
  explicit WarmPool(WarmPoolOptions options);
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // Starts the pool's thread: the start-up check, then refills.
  void Start();
  // A warm worker if one is idle, at once; nullopt otherwise (never waits,
  // so no launch waits for another's worker).
  std::optional<WarmWorker> Claim();
  // Stops the thread and every unclaimed worker.
  void Stop();

  WarmPoolStats Stats() const;

 private:
  struct Slot;

  void Run();
  absl::Status CheckPreloader();
  absl::StatusOr<std::unique_ptr<Slot>> SpawnWorker();
  // Both let go of mutex_ while they spawn or poll, and hold it again when
  // they return.
  void FillLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // One round of waiting on the workers' pipes and deadlines.
  void WatchOnce() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void HandleControlLocked(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RetireLocked(std::size_t index, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void DisableLocked(std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Wake();

  const WarmPoolOptions options_;
  int wake_read_ = -1;
  int wake_write_ = -1;

  mutable Mutex mutex_;
  // The slots themselves (a Slot's fields) are under mutex_ as well.
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mutex_);
  WarmPoolStats stats_ ABSL_GUARDED_BY(mutex_);
  std::chrono::milliseconds total_refill_ ABSL_GUARDED_BY(mutex_){0};
  std::int64_t warmed_ ABSL_GUARDED_BY(mutex_) = 0;
  int consecutive_failures_ ABSL_GUARDED_BY(mutex_) = 0;
  std::chrono::steady_clock::time_point last_claim_at_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  // Set by Start under mutex_ unless stopping_; Stop sets stopping_ under
  // mutex_ first, then joins it without the lock (the thread takes it).
  std::thread thread_;
};

}  // namespace mcpgw::runtime
