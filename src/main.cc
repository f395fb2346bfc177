// mcp-gateway: one URL for every database; see --help.

#include <curl/curl.h>
#include <malloc.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gateway/observability/structured_log.h"
#include "src/config.h"
#include "src/gateway_app.h"

int main(int argc, char** argv) {
  // Two malloc arenas at most (glibc's default: 8 per core). A connection's
  // coroutines move between the I/O threads, so with an arena per thread the
  // memory of open streams is spread, half-used, over several heaps: 1,000
  // open streams cost 12-14 KB each in RSS with the default, 9.3 KB with
  // two arenas or one (load-tests/streams.sh). Each thread keeps its own
  // small-block cache (tcache) either way.
  mallopt(M_ARENA_MAX, 2);
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
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int code = mcpgw::RunGateway(config);
  curl_global_cleanup();
  return code;
}
