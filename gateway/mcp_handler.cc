#include "gateway/mcp_handler.h"

#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "gateway/async_acquire.h"
#include "gateway/jsonrpc_error.h"
#include "gateway/mcp_route.h"

namespace mcpgw::gateway {

McpHandler::McpHandler(runtime::InstancePool& pool, std::string key_secret,
                       RelayLimits limits)
    : pool_(pool),
      key_secret_(std::move(key_secret)),
      limits_(limits),
      connections_(std::make_shared<BackendConnections>()) {
  // Weak: the pool outlives this handler, and the sockets inside must not
  // outlive the io_context they belong to.
  pool_.OnInstanceGone(
      [weak = std::weak_ptr<BackendConnections>(connections_)](
          const std::string& instance_id) {
        if (auto connections = weak.lock()) connections->Forget(instance_id);
      });
}

McpHandler::~McpHandler() { connections_->Clear(); }

asio::awaitable<bool> McpHandler::Handle(Request request,
                                         beast::tcp_stream& stream) {
  const bool keep_alive = request.keep_alive();
  auto route = DecideMcpRoute(request, key_secret_);

  // Answers the gateway gives itself. (Built outside the co_await
  // expressions: GCC 12 mishandles braced temporaries inside them.)
  std::optional<Response> own_answer;
  if (auto* error = std::get_if<ErrorReply>(&route)) {
    own_answer = MakeErrorResponse(*error, RequestIdOf(request.body()),
                                   request.version(), keep_alive);
  } else if (std::holds_alternative<HealthCheck>(route)) {
    const nlohmann::json healthy = {{"status", "ok"}};
    own_answer = MakeJsonResponse(http::status::ok, healthy,
                                  request.version(), keep_alive);
  }
  if (own_answer.has_value()) {
    const bool written = co_await WriteResponse(
        stream, std::move(*own_answer), limits_.client_write_timeout);
    co_return written && keep_alive;
  }

  auto& target = std::get<ProxyTo>(route).target;
  runtime::AcquireRequest acquire{target.key, target.dsn.original,
                                  target.dsn.redacted, target.dsn.secrets};
  auto lease = co_await AsyncAcquire(pool_, std::move(acquire),
                                     asio::use_awaitable);
  if (!lease.ok()) {
    Response refusal =
        MakeErrorResponse(AcquireFailureReply(lease.status()),
                          RequestIdOf(request.body()), request.version(),
                          keep_alive);
    const bool written = co_await WriteResponse(
        stream, std::move(refusal), limits_.client_write_timeout);
    co_return written && keep_alive;
  }
  co_return co_await RelayToInstance(request, stream, *lease, *connections_,
                                     limits_);
}

}  // namespace mcpgw::gateway
