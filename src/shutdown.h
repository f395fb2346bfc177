#pragma once
// Start-up's last step in reverse: what the gateway does on SIGTERM/SIGINT.

#include "common/clock.h"
#include "gateway/http/http_server.h"
#include "gateway/mcp/mcp_handler.h"
#include "gateway/observability/webhooks.h"
#include "runtime/instance_pool.h"
#include "src/config.h"

namespace mcpgw {

// What a shutdown stops; the OAuth listener and its handler are null when
// it is off.
struct ShutdownTargets {
  gateway::IoThreads& io;
  gateway::HttpServer& mcp_server;
  gateway::McpHandler& mcp_handler;
  gateway::HttpServer* oauth_server;
  gateway::McpHandler* oauth_handler;
  gateway::HttpServer& admin_server;
  runtime::InstancePool& pool;
  gateway::WebhookNotifier& webhooks;
  // The grace period and the progress reports are measured on it.
  const common::Clock& clock;
};

// Stops accepting, ends the streams that only end when their client goes,
// lets in-flight requests finish within the grace period (reporting
// progress every second), stops every instance, sends what the webhooks
// still have queued, then stops the event loop. Runs on a thread of its
// own, never on an I/O thread (it waits).
void ShutDown(const Config& config, const ShutdownTargets& targets);

}  // namespace mcpgw
