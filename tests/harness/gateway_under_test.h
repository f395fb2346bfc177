#pragma once
// The gateway's I/O layer in-process: HttpServer and McpHandler (and, when
// a test asks, the RequestGuard, the admin listener with TenantAdmin) on an
// EventLoop run by 1-2 threads, bound to 127.0.0.1:0, on a FakePool. Wired
// the way src/gateway_app.cc wires them, and stopped the way its ShutDown
// does (StopAccepting, FinishStreams, the loop stopped, DestroyPendingWork),
// step by step so that a test can look between the steps.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "common/clock.h"
#include "gateway/admin/admin_handler.h"
#include "gateway/admin/tenant_admin.h"
#include "gateway/http/io_threads.h"
#include "gateway/http/http_server.h"
#include "gateway/http/request_guard.h"
#include "gateway/mcp/mcp_handler.h"
#include "gateway/observability/metrics.h"
#include "policies/dsn_rules.h"
#include "policies/tenant_registry.h"
#include "tests/harness/fake_pool.h"

namespace mcpgw::harness {

// A DSN the built-in rules accept; nothing ever connects to it (the fake
// pool hands out the fake instance whatever the target).
inline constexpr const char* kDsn =
    "postgres://app:secret-password@db.example.com:5432/app";
inline constexpr const char* kAdminToken = "harness-admin-token";

struct HarnessOptions {
  int threads = 2;
  // The clock every part reads (a test's ManualClock, which must outlive
  // the gateway); null: the system clock.
  const common::Clock* clock = nullptr;
  gateway::McpHandlerOptions handler = DefaultHandlerOptions();
  // Set: a RequestGuard admits requests (rates, concurrency per instance).
  std::optional<gateway::GuardOptions> guard;
  // Set: an admin listener with /admin/tenants on this registry.
  policies::TenantRegistry* tenants = nullptr;
  // --dsn-api-key-file: DSN requests then carry it as their bearer token.
  std::string dsn_api_key;
  // Set: the OAuth listener's policy (only this verifier's access tokens).
  const policies::AccessTokenVerifier* oauth = nullptr;

  static gateway::McpHandlerOptions DefaultHandlerOptions();
};

class GatewayUnderTest {
 public:
  GatewayUnderTest(FakePool& pool, HarnessOptions options = {});
  // Stops (if the test did not) and destroys in the application's order.
  ~GatewayUnderTest();
  GatewayUnderTest(const GatewayUnderTest&) = delete;
  GatewayUnderTest& operator=(const GatewayUnderTest&) = delete;

  std::uint16_t mcp_port() const { return mcp_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  gateway::McpHandler& handler() { return *handler_; }
  int active_requests() const { return mcp_server_->active_requests(); }

  // The shutdown, step by step (src/gateway_app.cc ShutDown):
  // stop accepting and end the open-ended streams; returns how many.
  std::size_t BeginShutdown();
  // The event loop stopped, its threads joined (the grace period is over).
  void StopLoop();
  // Frames still pending destroyed, releasing what they hold.
  void DestroyPendingWork();
  // All three, for the tests that only need the gateway gone.
  void Stop();

 private:
  FakePool& pool_;
  const HarnessOptions options_;
  const common::SystemClock system_clock_;
  const common::Clock& clock_;
  policies::DsnPolicy rules_;
  gateway::IoThreads io_;
  std::unique_ptr<gateway::RequestGuard> guard_;
  std::unique_ptr<gateway::GatewayMetrics> metrics_;
  std::unique_ptr<gateway::TenantAdmin> tenant_admin_;
  std::unique_ptr<gateway::McpHandler> handler_;
  // Blocking work (gateway/http/blocking_work.h: the admin API's, OAuth key
  // fetches), as in the app.
  std::unique_ptr<boost::asio::thread_pool> blocking_;
  std::unique_ptr<gateway::AdminHandler> admin_handler_;
  std::unique_ptr<gateway::HttpServer> mcp_server_;
  std::unique_ptr<gateway::HttpServer> admin_server_;
  std::uint16_t mcp_port_ = 0;
  std::uint16_t admin_port_ = 0;
  bool loop_stopped_ = false;
  bool work_destroyed_ = false;
};

}  // namespace mcpgw::harness
