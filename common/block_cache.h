#pragma once
// A thread's cache of small freed heap blocks, kept for the next allocation of
// their size instead of going back to malloc.
//
// Why: a proxied request makes and frees some 65 small blocks (a header
// field each, strings, callbacks, coroutine frames), and glibc's malloc and
// free cost some 150 instructions a pair even from its own per-thread cache,
// which besides holds only 7 blocks of a size: the requests in flight
// overflow it into the slower bins. This cache is a plain list per size class
// (some 20 instructions a pair) in front of malloc.
//
// Every block it holds or hands out is one that malloc returned, of at least
// its class's size: a block may be freed with free() or by another thread
// (into that thread's cache), and the memory is glibc's layout exactly (no
// header of ours). The classes are glibc's chunk sizes (24, 40, 56 ... usable
// bytes), so that a block freed is found again by a request of its size.
// Bounded per class and in bytes; what does not fit goes back to free().
//
// Used by the gateway's operator new and delete (src/block_cache_new.cc);
// not in sanitized builds, whose allocator must see every block.

#include <array>
#include <cstddef>
#include <cstdint>

namespace mcpgw::common {

class BlockCache {
 public:
  // Usable sizes 24, 40, ... 1032: glibc's small chunks up to the largest
  // its own per-thread cache takes.
  static constexpr std::size_t kClasses = 64;
  static constexpr std::size_t kSmallestBlock = 24;
  static constexpr std::size_t kClassStep = 16;
  static constexpr std::size_t kLargestBlock =
      kSmallestBlock + kClassStep * (kClasses - 1);
  // Per thread and class: 128 blocks, or fewer of the larger classes, so
  // that a class holds at most 16 KB. A class's bound is its own: with one
  // bound for all, blocks of sizes seldom asked for filled it, and the
  // common sizes found no room (measured: a fifth of all allocations
  // missed; with these bounds under 2 %). At most about 0.9 MB a thread, and
  // only a thread that once had that many blocks freed at once.
  static constexpr std::size_t kMaxBlocksPerClass = 128;
  static constexpr std::size_t kMaxBytesPerClass = 16 * 1024;
  // "No class": too large (or too small) to cache.
  static constexpr std::size_t kNoClass = kClasses;

  // The class whose blocks hold `bytes` (the smallest such), or kNoClass.
  // malloc(bytes) returns a block of exactly that class's size on glibc.
  static constexpr std::size_t ClassFor(std::size_t bytes) {
    if (bytes <= kSmallestBlock) return 0;
    if (bytes > kLargestBlock) return kNoClass;
    return (bytes - kSmallestBlock + kClassStep - 1) / kClassStep;
  }
  // The class a block of `usable` bytes (malloc_usable_size) serves: the
  // largest whose size it holds, or kNoClass.
  static constexpr std::size_t ClassHeldBy(std::size_t usable) {
    if (usable < kSmallestBlock) return kNoClass;
    const std::size_t cls = (usable - kSmallestBlock) / kClassStep;
    return cls < kClasses ? cls : kNoClass;
  }
  static constexpr std::size_t BytesOf(std::size_t cls) {
    return kSmallestBlock + kClassStep * cls;
  }
  static constexpr std::size_t MaxBlocksOf(std::size_t cls) {
    const std::size_t fit = kMaxBytesPerClass / BytesOf(cls);
    return fit < kMaxBlocksPerClass ? fit : kMaxBlocksPerClass;
  }

  // Constant-initialized and trivially destructible: usable as a
  // thread_local from the first allocation of a thread to its last.
  constexpr BlockCache() = default;

  // A cached block of class `cls` (< kClasses), or nullptr.
  void* Take(std::size_t cls) noexcept {
    void* block = heads_[cls];
    if (block == nullptr) return nullptr;
    heads_[cls] = *static_cast<void**>(block);
    --counts_[cls];
    return block;
  }

  // Keeps `block`, which holds at least BytesOf(cls) bytes (cls <
  // kClasses); false when the cache is full or drained: free it.
  bool Keep(void* block, std::size_t cls) noexcept {
    // Looked up: a division by the class's size a free would cost more
    // than the rest of Keep.
    static constexpr auto kMaxBlocks = [] {
      std::array<std::uint8_t, kClasses> max{};
      for (std::size_t c = 0; c < kClasses; ++c) {
        max[c] = static_cast<std::uint8_t>(MaxBlocksOf(c));
      }
      return max;
    }();
    if (drained_ || counts_[cls] >= kMaxBlocks[cls]) return false;
    *static_cast<void**>(block) = heads_[cls];
    heads_[cls] = block;
    ++counts_[cls];
    return true;
  }

  // Frees every cached block and keeps none from then on (the thread is
  // ending; its last frees go straight to free()).
  void Drain() noexcept;

  // Counted when asked (at start-up, in tests), not kept up to date on
  // every allocation.
  std::size_t cached_bytes() const {
    std::size_t bytes = 0;
    for (std::size_t cls = 0; cls < kClasses; ++cls) {
      bytes += counts_[cls] * BytesOf(cls);
    }
    return bytes;
  }
  std::size_t cached_blocks(std::size_t cls) const { return counts_[cls]; }

 private:
  void* heads_[kClasses] = {};
  static_assert(kMaxBlocksPerClass <= UINT8_MAX);
  std::uint8_t counts_[kClasses] = {};
  bool drained_ = false;
};

}  // namespace mcpgw::common
