#pragma once
// The MCP listener: resolves the target, leases its instance, relays.

#include <string>

#include "gateway/backend_connections.h"
#include "gateway/http_server.h"
#include "gateway/metrics.h"
#include "gateway/relay.h"
#include "gateway/request_guard.h"
#include "runtime/instance_pool.h"

namespace mcpgw::gateway {

class McpHandler final : public RequestHandler {
 public:
  // `metrics` (optional) counts every request; every request is also
  // written to the access log.
  McpHandler(runtime::InstancePool& pool, std::string key_secret,
             RelayLimits limits, GatewayMetrics* metrics = nullptr);
  // Tenants and policies (issue 6): `policy` decides the target (tenant
  // tokens, DSN rules), `guard` (optional) admits it before the lease.
  void SetTenantPolicy(policies::TargetPolicy policy, RequestGuard* guard);
  // Closes the idle instance connections; must run before the io_context
  // that owns their sockets is destroyed.
  ~McpHandler() override;

  asio::awaitable<bool> Handle(Request request,
                               beast::tcp_stream& stream) override;

 private:
  runtime::InstancePool& pool_;
  const std::string key_secret_;
  const RelayLimits limits_;
  GatewayMetrics* const metrics_;
  policies::TargetPolicy policy_;
  RequestGuard* guard_ = nullptr;
  // Also reached, weakly, by the pool's gone-listener.
  std::shared_ptr<BackendConnections> connections_;
};

}  // namespace mcpgw::gateway
