#pragma once
// What src/block_cache_new.cc (the gateway's operator new and delete behind a
// per-thread block cache) tells about itself.

#include <cstddef>

namespace mcpgw {

// Bytes of freed blocks the calling thread's cache holds now.
std::size_t ThreadBlockCacheBytes();

}  // namespace mcpgw
