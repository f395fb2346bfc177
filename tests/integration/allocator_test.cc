// The gateway runs on the allocator its build chose (CMake's MCPGW_JEMALLOC:
// jemalloc in a plain build, the sanitizer's in a sanitized one): its
// start-up log names it (the gateway says jemalloc only once jemalloc has
// served one of its mallocs), and jemalloc is loaded into it exactly then.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "test_support/gateway_fixture.h"

namespace mcpgw::it {
namespace {

using AllocatorTest = GatewayTest;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(AllocatorTest, StartUpLogNamesTheAllocatorTheProcessRunsOn) {
  StartGateway();
  const std::string expected = MCPGW_EXPECTED_ALLOCATOR;
  const std::string output = AllGatewayOutput();
  EXPECT_NE(output.find("memory allocator: " + expected), std::string::npos)
      << output;
  const std::string maps =
      ReadWhole("/proc/" + std::to_string(gateway().pid()) + "/maps");
  const bool jemalloc_loaded = maps.find("libjemalloc") != std::string::npos;
  EXPECT_EQ(jemalloc_loaded, expected == "jemalloc") << maps;
}

}  // namespace
}  // namespace mcpgw::it
