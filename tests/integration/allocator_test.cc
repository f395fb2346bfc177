// The gateway runs on the allocator its build chose (CMake's MCPGW_JEMALLOC:
// glibc's malloc by default, jemalloc with the option on, the sanitizer's in
// a sanitized build): its start-up log names it (the gateway says jemalloc
// only once jemalloc has served one of its mallocs), and jemalloc is loaded
// into it exactly then.

#include <string>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"
#include "test_support/process.h"

namespace mcpgw::it {
namespace {

using AllocatorTest = GatewayTest;

TEST_F(AllocatorTest, StartUpLogNamesTheAllocatorTheProcessRunsOn) {
  StartGateway();
  const std::string expected = MCPGW_EXPECTED_ALLOCATOR;
  const std::string output = AllGatewayOutput();
  EXPECT_NE(output.find("memory allocator: " + expected), std::string::npos)
      << output;
  const std::string maps =
      ReadFileOrEmpty("/proc/" + std::to_string(gateway().pid()) + "/maps");
  const bool jemalloc_loaded = maps.find("libjemalloc") != std::string::npos;
  EXPECT_EQ(jemalloc_loaded, expected == "jemalloc") << maps;
}

}  // namespace
}  // namespace mcpgw::it
