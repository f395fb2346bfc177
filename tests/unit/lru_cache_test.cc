#include "policies/lru_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace mcpgw::policies {
namespace {

TEST(LruCache, FindsWhatWasPut) {
  LruCache<int> cache(4);
  EXPECT_EQ(cache.Find("a"), nullptr);
  cache.Put("a", 1);
  cache.Put("b", 2);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(*cache.Find("a"), 1);
  EXPECT_EQ(*cache.Find("b"), 2);
  cache.Put("a", 3);  // replaces
  EXPECT_EQ(*cache.Find("a"), 3);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(LruCache, EvictsTheLeastRecentlyUsed) {
  LruCache<int> cache(2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  ASSERT_NE(cache.Find("a"), nullptr);  // "b" is now the oldest
  cache.Put("c", 3);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
}

TEST(LruCache, StaysWithinItsCapacity) {
  LruCache<std::string> cache(3);
  for (int i = 0; i < 100; ++i) cache.Put(std::to_string(i), "v");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.Find("99"), nullptr);
  EXPECT_EQ(cache.Find("96"), nullptr);
  LruCache<int> zero(0);  // taken as one
  zero.Put("a", 1);
  zero.Put("b", 2);
  EXPECT_EQ(zero.size(), 1u);
}

TEST(LruCache, ErasesByKeyAndByPredicate) {
  LruCache<int> cache(8);
  for (int i = 0; i < 6; ++i) cache.Put(std::to_string(i), i);
  cache.Erase("0");
  cache.Erase("absent");
  EXPECT_EQ(cache.Find("0"), nullptr);
  cache.EraseIf([](std::string_view, int value) { return value % 2 == 1; });
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find("2"), nullptr);
  EXPECT_NE(cache.Find("4"), nullptr);
  cache.Put("6", 6);  // the index still works after erasing
  EXPECT_EQ(*cache.Find("6"), 6);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("2"), nullptr);
}

}  // namespace
}  // namespace mcpgw::policies
