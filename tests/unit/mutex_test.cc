// common/mutex.h: the annotated lock and condition variable behave as the
// std ones they wrap (the waits give the lock back held, timeouts count).

#include "common/mutex.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace mcpgw {
namespace {

using std::chrono::milliseconds;

struct Flag {
  Mutex mutex;
  CondVar changed;
  bool set ABSL_GUARDED_BY(mutex) = false;
};

TEST(Mutex, ALockScopeCanEndEarlyAndBeTakenAgain) {
  Flag flag;
  MutexLock lock(flag.mutex);
  flag.set = true;
  lock.Unlock();
  std::thread other([&flag] {
    MutexLock inner(flag.mutex);  // would deadlock if Unlock had not
    flag.set = false;
  });
  other.join();
  lock.Lock();
  EXPECT_FALSE(flag.set);
}

TEST(CondVar, WaitReturnsWithThePredicateTrueAndTheLockHeld) {
  Flag flag;
  std::thread setter([&flag] {
    std::this_thread::sleep_for(milliseconds(20));
    {
      MutexLock lock(flag.mutex);
      flag.set = true;
    }
    flag.changed.NotifyAll();
  });
  {
    MutexLock lock(flag.mutex);
    flag.changed.Wait(flag.mutex, [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                      flag.mutex) { return flag.set; });
    EXPECT_TRUE(flag.set);
    flag.set = false;  // still held: a write needs no new lock
  }
  setter.join();
  MutexLock lock(flag.mutex);
  EXPECT_FALSE(flag.set);
}

TEST(CondVar, WaitForGivesThePredicatesValueAtTheTimeout) {
  Flag flag;
  MutexLock lock(flag.mutex);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(flag.changed.WaitFor(
      flag.mutex, milliseconds(30),
      [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mutex) { return flag.set; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  flag.set = true;
  EXPECT_TRUE(flag.changed.WaitFor(
      flag.mutex, milliseconds(30),
      [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mutex) { return flag.set; }));
}

TEST(CondVar, WaitUntilTimesOutWithoutANotification) {
  Flag flag;
  MutexLock lock(flag.mutex);
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(20);
  EXPECT_FALSE(flag.changed.WaitUntil(
      flag.mutex, deadline,
      [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mutex) { return flag.set; }));
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
}

TEST(SharedMutex, ReadersShareTheLock) {
  struct {
    SharedMutex mutex;
    int value ABSL_GUARDED_BY(mutex) = 0;
  } shared;
  {
    ReaderMutexLock first(shared.mutex);
    int seen = -1;
    std::thread reader([&shared, &seen] {
      ReaderMutexLock second(shared.mutex);  // does not wait for `first`
      seen = shared.value;
    });
    reader.join();
    EXPECT_EQ(seen, 0);
  }
  WriterMutexLock writer(shared.mutex);
  shared.value = 1;
  EXPECT_EQ(shared.value, 1);
}

}  // namespace
}  // namespace mcpgw
