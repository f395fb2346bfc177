#include "src/allocator.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#if defined(MCPGW_WITH_JEMALLOC)
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#if defined(MCPGW_WITH_BLOCK_CACHE)
#include "src/block_cache_new.h"
#endif

namespace mcpgw {

#if defined(MCPGW_WITH_JEMALLOC)

constexpr std::size_t kProbeBytes = 4096;

void ConfigureAllocator() {
  // jemalloc's defaults, as measured (docs/benchmarks.md, raw_capacity):
  // fewer arenas or smaller thread caches did not bring an open stream's
  // memory down to glibc's.
}

namespace {

// Whether jemalloc is the malloc every caller gets: its count of the bytes
// this thread allocated grows by a malloc's. (A link order that put the C
// library's malloc first would load jemalloc and leave it unused.)
bool JemallocServesMalloc() {
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  std::size_t size = sizeof(before);
  if (mallctl("thread.allocated", &before, &size, nullptr, 0) != 0) return false;
  void* volatile block = std::malloc(kProbeBytes);
  size = sizeof(after);
  const int read = mallctl("thread.allocated", &after, &size, nullptr, 0);
  std::free(block);
  return read == 0 && after - before >= kProbeBytes;
}

}  // namespace

std::string AllocatorDescription() {
  if (!JemallocServesMalloc()) {
    return "system malloc (jemalloc linked but not serving malloc)";
  }
  const char* version = nullptr;
  std::size_t size = sizeof(version);
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  // "5.3.0-0-g54eaed1d...": the release, without the commit.
  std::string release(version);
  release = release.substr(0, release.find('-'));
  return "jemalloc " + release;
}

#else

void ConfigureAllocator() {
  // Two malloc arenas at most (glibc's default: 8 per core). A connection's
  // coroutines move between the I/O threads, so with an arena per thread the
  // memory of open streams is spread, half-used, over several heaps: 1,000
  // open streams cost 12-14 KB each in RSS with the default, 9.3 KB with
  // two arenas or one (load-tests/streams.sh). Each thread keeps its own
  // small-block cache (tcache) either way.
  mallopt(M_ARENA_MAX, 2);
}

#if defined(MCPGW_WITH_BLOCK_CACHE)

// Small enough for the cache's classes.
constexpr std::size_t kBlockCacheProbeBytes = 100;

std::string AllocatorDescription() {
  // Our operator delete is the one every caller gets when a block freed
  // here lands in this thread's cache.
  // (Called as functions: a new-expression's pair may be elided.)
  void* volatile block = ::operator new(kBlockCacheProbeBytes);
  const std::size_t before = ThreadBlockCacheBytes();
  ::operator delete(block, kBlockCacheProbeBytes);
  if (ThreadBlockCacheBytes() <= before) {
    return "system malloc (block cache linked but not serving delete)";
  }
  return "system malloc with a per-thread block cache";
}

#else

std::string AllocatorDescription() { return "system malloc"; }

#endif

#endif

}  // namespace mcpgw
