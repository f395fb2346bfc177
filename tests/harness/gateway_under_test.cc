#include "tests/harness/gateway_under_test.h"

#include <stdexcept>

namespace mcpgw::harness {

gateway::McpHandlerOptions HarnessOptions::DefaultHandlerOptions() {
  gateway::McpHandlerOptions options;
  options.key_secret = "harness-key-secret-harness-key-secret";
  // A stalled client write must not end a test's connection on its own:
  // the tests decide when a client goes.
  options.limits.client_write_timeout = std::chrono::seconds(120);
  return options;
}

GatewayUnderTest::GatewayUnderTest(FakePool& pool, HarnessOptions options)
    : pool_(pool),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock_),
      io_(options_.threads) {
  if (options_.guard) {
    guard_ = std::make_unique<gateway::RequestGuard>(pool_, rules_, clock_,
                                                     *options_.guard);
  }
  blocking_ = std::make_unique<boost::asio::thread_pool>(2);
  auto handler_options = options_.handler;
  handler_options.blocking = blocking_.get();
  handler_ = std::make_unique<gateway::McpHandler>(pool_, clock_,
                                                   std::move(handler_options));
  handler_->SetTenantPolicy({.allow_dsn_requests = options_.oauth == nullptr,
                             .dsn_api_key = options_.dsn_api_key,
                             .dsn_rules = &rules_,
                             .tenants = options_.tenants,
                             .oauth = options_.oauth},
                            guard_.get());
  const gateway::ServerLimits limits;
  mcp_server_ = std::make_unique<gateway::HttpServer>(io_, "MCP listener",
                                                      *handler_, limits);
  auto mcp = mcp_server_->Listen("127.0.0.1:0");
  if (!mcp.ok()) throw std::runtime_error(std::string(mcp.status().message()));
  mcp_port_ = mcp->port();
  mcp_server_->Start();

  if (options_.tenants != nullptr) {
    metrics_ = std::make_unique<gateway::GatewayMetrics>();
    tenant_admin_ = std::make_unique<gateway::TenantAdmin>(
        *options_.tenants, pool_, rules_, options_.handler.key_secret);
    gateway::AdminOptions admin_options;
    admin_options.admin_token = kAdminToken;
    admin_options.config = nlohmann::json::object();
    admin_options.readiness = [] { return absl::OkStatus(); };
    admin_options.sessions = [this] { return handler_->SessionsJson(); };
    admin_options.tenants = tenant_admin_.get();
    admin_handler_ = std::make_unique<gateway::AdminHandler>(
        pool_, *metrics_, clock_, std::move(admin_options), *blocking_);
    admin_server_ = std::make_unique<gateway::HttpServer>(
        io_, "admin listener", *admin_handler_, limits);
    auto admin = admin_server_->Listen("127.0.0.1:0");
    if (!admin.ok()) {
      throw std::runtime_error(std::string(admin.status().message()));
    }
    admin_port_ = admin->port();
    admin_server_->Start();
  }
  io_.Start();
}

GatewayUnderTest::~GatewayUnderTest() {
  Stop();
  // Its work uses the handlers: joined while they are alive.
  if (blocking_) blocking_->join();
  // As in the application: listeners, then handlers (closing the idle
  // instance connections while the loop's services still exist), then the
  // loop itself (a member, last).
  admin_server_.reset();
  mcp_server_.reset();
  admin_handler_.reset();
  handler_.reset();
  tenant_admin_.reset();
  metrics_.reset();
  guard_.reset();
}

std::size_t GatewayUnderTest::BeginShutdown() {
  mcp_server_->StopAccepting();
  return handler_->FinishStreams();
}

void GatewayUnderTest::StopLoop() {
  if (loop_stopped_) return;
  loop_stopped_ = true;
  if (admin_server_) admin_server_->StopAccepting();
  io_.Stop();
  io_.Join();
}

void GatewayUnderTest::DestroyPendingWork() {
  if (work_destroyed_) return;
  work_destroyed_ = true;
  io_.DestroyPendingWork();
}

void GatewayUnderTest::Stop() {
  if (!loop_stopped_) BeginShutdown();
  StopLoop();
  DestroyPendingWork();
}

}  // namespace mcpgw::harness
