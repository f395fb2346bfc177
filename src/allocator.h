#pragma once
// The memory allocator mcp-gateway runs on: the C library's malloc (or a
// sanitizer's), behind the gateway's per-thread block cache unless
// sanitized (-DMCPGW_BLOCK_CACHE, on by default), or jemalloc when the build
// links it (-DMCPGW_JEMALLOC=ON).
// main() sets it up before anything allocates much, and names it in the
// start-up log, where an operator (and a test) can see which one a binary
// got.

#include <string>

namespace mcpgw {

// Settings of the allocator made at start-up, before any thread starts.
void ConfigureAllocator();

// "jemalloc 5.3.0" (checked: jemalloc serves malloc), "system malloc with a
// per-thread block cache" (checked: the cache keeps what delete frees) or
// "system malloc".
std::string AllocatorDescription();

}  // namespace mcpgw
