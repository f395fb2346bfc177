// The gateway's operator new and delete: malloc and free behind a per-thread
// BlockCache (common/block_cache.h says why). Linked into mcp-gateway only,
// and only when neither a sanitizer nor jemalloc provides the allocator
// (CMake's MCPGW_BLOCK_CACHE). Aligned and nothrow forms not defined here
// are libstdc++'s, which call these or aligned_alloc and free.

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "common/block_cache.h"
#include "src/block_cache_new.h"

namespace {

using mcpgw::common::BlockCache;

constinit thread_local BlockCache cache;
constinit thread_local bool drain_registered = false;

// Empties the thread's cache when the thread ends. A thread_local with a
// destructor costs a guard on every use, so it is touched only once, at a
// thread's first kept block.
struct DrainAtThreadExit {
  ~DrainAtThreadExit() { cache.Drain(); }
};

void RegisterDrain() {
  drain_registered = true;
  thread_local DrainAtThreadExit drain;
  (void)drain;
}

void* Allocate(std::size_t bytes) {
  const std::size_t cls = BlockCache::ClassFor(bytes);
  if (cls != BlockCache::kNoClass) {
    if (void* block = cache.Take(cls)) return block;
  }
  for (;;) {
    if (void* block = std::malloc(bytes == 0 ? 1 : bytes)) return block;
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void Release(void* block, std::size_t cls) noexcept {
  if (cls != BlockCache::kNoClass) {
    if (!drain_registered) RegisterDrain();
    if (cache.Keep(block, cls)) return;
  }
  std::free(block);
}

// A block freed without its size: malloc knows how much it holds.
void ReleaseUnsized(void* block) noexcept {
  if (block == nullptr) return;
  Release(block, BlockCache::ClassHeldBy(malloc_usable_size(block)));
}

// A sized delete names the size it was allocated with: its block holds at
// least ClassFor(size)'s bytes (from malloc, or from that very class).
void ReleaseSized(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  Release(block, BlockCache::ClassFor(bytes));
}

void* AllocateOrNull(std::size_t bytes) noexcept {
  try {
    return Allocate(bytes);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

std::size_t mcpgw::ThreadBlockCacheBytes() { return cache.cached_bytes(); }

void* operator new(std::size_t bytes) { return Allocate(bytes); }
void* operator new[](std::size_t bytes) { return Allocate(bytes); }
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
  return AllocateOrNull(bytes);
}
void* operator new[](std::size_t bytes, const std::nothrow_t&) noexcept {
  return AllocateOrNull(bytes);
}
void operator delete(void* block) noexcept { ReleaseUnsized(block); }
void operator delete[](void* block) noexcept { ReleaseUnsized(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept {
  ReleaseUnsized(block);
}
void operator delete[](void* block, const std::nothrow_t&) noexcept {
  ReleaseUnsized(block);
}
void operator delete(void* block, std::size_t bytes) noexcept {
  ReleaseSized(block, bytes);
}
void operator delete[](void* block, std::size_t bytes) noexcept {
  ReleaseSized(block, bytes);
}
