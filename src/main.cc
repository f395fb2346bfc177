// mcp-gateway: one URL for every database; see --help.

#include <curl/curl.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gateway/structured_log.h"
#include "src/config.h"
#include "src/gateway_app.h"

int main(int argc, char** argv) {
  // A client that vanishes mid-write must cost an error code, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto config = mcpgw::ParseCommandLine(argc, argv);
  if (!config.ok()) {
    std::cerr << "mcp-gateway: " << config.status().message() << '\n';
    return 2;
  }
  // Every log line goes through the redacting sink.
  mcpgw::logs::Install(*mcpgw::logs::ParseFormat(config->log_format),
                       spdlog::level::from_str(config->log_level));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int code = mcpgw::RunGateway(*config);
  curl_global_cleanup();
  return code;
}
