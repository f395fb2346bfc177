// mcp-gateway: one URL for every database; see --help.

#include <curl/curl.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gateway/observability/structured_log.h"
#include "src/allocator.h"
#include "src/config.h"
#include "src/gateway_app.h"

int main(int argc, char** argv) {
  mcpgw::ConfigureAllocator();
  // A client that vanishes mid-write must cost an error code, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto command_line = mcpgw::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::cerr << "mcp-gateway: " << command_line.status().message() << '\n';
    return 2;
  }
  if (command_line->action == mcpgw::CommandLine::Action::kPrintAndExit) {
    std::cout << command_line->text;
    return 0;
  }
  const mcpgw::Config& config = command_line->config;
  // Every log line goes through the redacting sink.
  mcpgw::logs::Install(*mcpgw::logs::ParseFormat(config.log_format),
                       spdlog::level::from_str(config.log_level));
  spdlog::info("memory allocator: {}", mcpgw::AllocatorDescription());
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int code = mcpgw::RunGateway(config);
  curl_global_cleanup();
  return code;
}
