// The per-thread cache of small heap blocks behind the gateway's operator new
// (common/block_cache.h): its size classes, its bounds and its drain.

#include "common/block_cache.h"

#include <malloc.h>

#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

namespace mcpgw::common {
namespace {

TEST(BlockCacheTest, EverySmallSizeGetsTheSmallestClassThatHoldsIt) {
  for (std::size_t bytes = 0; bytes <= BlockCache::kLargestBlock; ++bytes) {
    const std::size_t cls = BlockCache::ClassFor(bytes);
    ASSERT_LT(cls, BlockCache::kClasses) << bytes;
    EXPECT_GE(BlockCache::BytesOf(cls), bytes) << bytes;
    if (cls > 0) {
      EXPECT_LT(BlockCache::BytesOf(cls - 1), bytes) << bytes;
    }
  }
  EXPECT_EQ(BlockCache::ClassFor(BlockCache::kLargestBlock + 1),
            BlockCache::kNoClass);
  EXPECT_EQ(BlockCache::ClassFor(1 << 20), BlockCache::kNoClass);
}

TEST(BlockCacheTest, AFreedBlockServesOnlySizesItHolds) {
  EXPECT_EQ(BlockCache::ClassHeldBy(0), BlockCache::kNoClass);
  EXPECT_EQ(BlockCache::ClassHeldBy(BlockCache::kSmallestBlock - 1),
            BlockCache::kNoClass);
  for (std::size_t usable = BlockCache::kSmallestBlock; usable < 4096;
       ++usable) {
    const std::size_t cls = BlockCache::ClassHeldBy(usable);
    if (cls == BlockCache::kNoClass) {
      EXPECT_GT(usable, BlockCache::kLargestBlock + BlockCache::kClassStep - 1);
      continue;
    }
    EXPECT_LE(BlockCache::BytesOf(cls), usable) << usable;
    EXPECT_GT(BlockCache::BytesOf(cls) + BlockCache::kClassStep, usable)
        << usable;
  }
  for (std::size_t cls = 0; cls < BlockCache::kClasses; ++cls) {
    EXPECT_EQ(BlockCache::ClassHeldBy(BlockCache::BytesOf(cls)), cls);
  }
}

// The classes are glibc's chunk sizes: what malloc returns for a size is
// found again, once freed into the cache, by the next request of that size.
// (A sanitizer's malloc reports the size asked for instead; the cache stays
// correct there, only less often used, and is not linked there anyway.)
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST(BlockCacheTest, ClassesAreTheSizesGlibcMallocReturns) {
  for (std::size_t bytes = 1; bytes <= BlockCache::kLargestBlock; ++bytes) {
    void* block = std::malloc(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(BlockCache::ClassHeldBy(malloc_usable_size(block)),
              BlockCache::ClassFor(bytes))
        << bytes << " bytes, usable " << malloc_usable_size(block);
    std::free(block);
  }
}
#endif

TEST(BlockCacheTest, ABlockKeptIsTheNextTakenOfItsClass) {
  BlockCache cache;
  const std::size_t cls = BlockCache::ClassFor(100);
  EXPECT_EQ(cache.Take(cls), nullptr);
  void* first = std::malloc(100);
  void* second = std::malloc(100);
  ASSERT_TRUE(cache.Keep(first, cls));
  ASSERT_TRUE(cache.Keep(second, cls));
  EXPECT_EQ(cache.cached_blocks(cls), 2u);
  EXPECT_EQ(cache.cached_bytes(), 2 * BlockCache::BytesOf(cls));
  EXPECT_EQ(cache.Take(cls + 1), nullptr);
  EXPECT_EQ(cache.Take(cls), second);
  EXPECT_EQ(cache.Take(cls), first);
  EXPECT_EQ(cache.Take(cls), nullptr);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  std::free(first);
  std::free(second);
}

TEST(BlockCacheTest, EachClassHoldsAtMostItsBound) {
  EXPECT_EQ(BlockCache::MaxBlocksOf(0), BlockCache::kMaxBlocksPerClass);
  const std::size_t largest = BlockCache::kClasses - 1;
  EXPECT_EQ(BlockCache::MaxBlocksOf(largest),
            BlockCache::kMaxBytesPerClass / BlockCache::kLargestBlock);
  BlockCache cache;
  for (const std::size_t cls : {std::size_t{0}, largest}) {
    std::vector<void*> kept;
    for (;;) {
      void* block = std::malloc(BlockCache::BytesOf(cls));
      if (!cache.Keep(block, cls)) {
        std::free(block);
        break;
      }
      kept.push_back(block);
    }
    EXPECT_EQ(kept.size(), BlockCache::MaxBlocksOf(cls));
    EXPECT_LE(kept.size() * BlockCache::BytesOf(cls),
              BlockCache::kMaxBytesPerClass);
    // A full class leaves the others room.
    void* other = std::malloc(BlockCache::BytesOf(1));
    EXPECT_TRUE(cache.Keep(other, 1));
    EXPECT_EQ(cache.Take(1), other);
    std::free(other);
    for (std::size_t i = 0; i < kept.size(); ++i) std::free(cache.Take(cls));
    EXPECT_EQ(cache.Take(cls), nullptr);
  }
}

// A thread's last frees: the cache gives every block back (a leak here is
// what LeakSanitizer reports) and keeps none from then on.
TEST(BlockCacheTest, DrainFreesEveryBlockAndKeepsNoneAfter) {
  BlockCache cache;
  for (std::size_t cls = 0; cls < BlockCache::kClasses; cls += 7) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(cache.Keep(std::malloc(BlockCache::BytesOf(cls)), cls));
    }
  }
  EXPECT_GT(cache.cached_bytes(), 0u);
  cache.Drain();
  EXPECT_EQ(cache.cached_bytes(), 0u);
  for (std::size_t cls = 0; cls < BlockCache::kClasses; ++cls) {
    EXPECT_EQ(cache.Take(cls), nullptr);
  }
  void* late = std::malloc(40);
  EXPECT_FALSE(cache.Keep(late, BlockCache::ClassFor(40)));
  std::free(late);
}

}  // namespace
}  // namespace mcpgw::common
