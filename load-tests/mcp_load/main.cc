// mcp-load: closed-loop (or open-loop, --rate) load generator for MCP servers.
// Wiring only: parse flags, run, print the report.
#include <fstream>
#include <iostream>
#include <span>

#include "mcp_load/load_runner.h"
#include "mcp_load/options.h"
#include "mcp_load/report.h"
#include "mcp_load/stream_runner.h"

int main(int argc, char** argv) {
  using namespace mcpgw::loadtest;
  auto options = ParseOptions(std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc - 1)));
  if (!options.ok()) {
    std::cerr << "mcp-load: " << options.status().message() << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << Usage();
    return 0;
  }
  std::string text;
  if (options->streams) {
    auto result = RunStreams(*options);
    if (!result.ok()) {
      std::cerr << "mcp-load: " << result.status().message() << "\n";
      return 1;
    }
    text = MakeStreamReport(*options, *result).dump(2);
  } else {
    auto result = RunLoad(*options);
    if (!result.ok()) {
      std::cerr << "mcp-load: " << result.status().message() << "\n";
      return 1;
    }
    text = MakeReport(*options, *result).dump(2);
  }
  std::cout << text << std::endl;
  if (!options->output.empty()) {
    std::ofstream out(options->output);
    out << text << "\n";
    if (!out) {
      std::cerr << "mcp-load: cannot write " << options->output << "\n";
      return 1;
    }
  }
  return 0;
}
