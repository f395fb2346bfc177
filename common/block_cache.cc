#include "common/block_cache.h"

#include <cstdlib>

namespace mcpgw::common {

void BlockCache::Drain() noexcept {
  drained_ = true;
  for (std::size_t cls = 0; cls < kClasses; ++cls) {
    while (void* block = Take(cls)) std::free(block);
  }
}

}  // namespace mcpgw::common
