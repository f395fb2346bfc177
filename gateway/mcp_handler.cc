#include "gateway/mcp_handler.h"

#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "gateway/async_acquire.h"
#include "gateway/jsonrpc_error.h"
#include "gateway/mcp_request_info.h"
#include "gateway/mcp_route.h"
#include "gateway/structured_log.h"
#include "policies/instance_key.h"

namespace mcpgw::gateway {
namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// What the access log and the metrics learn about one request.
struct Accounting {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  McpRequestInfo info;
  std::string key_prefix;
  std::string instance_id;
  std::string_view outcome = outcome::kOk;
  unsigned status = 0;
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  double backend_seconds = -1;
  std::optional<int> refusal_code;
};

void Account(const Accounting& a, GatewayMetrics* metrics) {
  const double seconds = Seconds(std::chrono::steady_clock::now() - a.start);
  if (metrics != nullptr) {
    metrics->RecordRequest({MethodLabel(a.info.method), a.outcome, seconds,
                            a.backend_seconds, a.bytes_in, a.bytes_out});
    if (a.refusal_code) {
      metrics->RecordRefusal(*a.refusal_code, static_cast<int>(a.status));
    }
  }
  nlohmann::json fields = {
      {"method", a.info.method},
      {"tool", a.info.tool.empty() ? nlohmann::json(nullptr)
                                   : nlohmann::json(a.info.tool)},
      {"key", a.key_prefix.empty() ? nlohmann::json(nullptr)
                                   : nlohmann::json(a.key_prefix)},
      {"instance", a.instance_id.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json(a.instance_id)},
      {"status", a.status},
      {"outcome", a.outcome},
      {"duration_ms", std::round(seconds * 10000.0) / 10.0},
      {"bytes_in", a.bytes_in},
      {"bytes_out", a.bytes_out},
  };
  if (a.refusal_code) fields["rpc_code"] = *a.refusal_code;
  logs::Event(spdlog::level::info, "access", fields);
}

std::string_view AcquireOutcome(const absl::Status& status) {
  return absl::IsResourceExhausted(status) || absl::IsAborted(status)
             ? outcome::kRefused
             : outcome::kStartFailed;
}

}  // namespace

McpHandler::McpHandler(runtime::InstancePool& pool, std::string key_secret,
                       RelayLimits limits, GatewayMetrics* metrics)
    : pool_(pool),
      key_secret_(std::move(key_secret)),
      limits_(limits),
      metrics_(metrics),
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

void McpHandler::SetTenantPolicy(policies::TargetPolicy policy,
                                 RequestGuard* guard) {
  policy_ = std::move(policy);
  guard_ = guard;
}

asio::awaitable<bool> McpHandler::Handle(Request request,
                                         beast::tcp_stream& stream) {
  const bool keep_alive = request.keep_alive();
  Accounting accounting;
  accounting.info = DescribeMcpRequest(request.method(), request.body());
  accounting.bytes_in = request.body().size();
  auto route = DecideMcpRoute(request, key_secret_, policy_);

  // Answers the gateway gives itself. (Built outside the co_await
  // expressions: GCC 12 mishandles braced temporaries inside them.)
  std::optional<Response> own_answer;
  if (auto* error = std::get_if<ErrorReply>(&route)) {
    own_answer = MakeErrorResponse(*error, RequestIdOf(request.body()),
                                   request.version(), keep_alive);
    accounting.outcome = outcome::kRefused;
    accounting.refusal_code = error->rpc_code;
  } else if (std::holds_alternative<HealthCheck>(route)) {
    const nlohmann::json healthy = {{"status", "ok"}};
    own_answer = MakeJsonResponse(http::status::ok, healthy,
                                  request.version(), keep_alive);
    accounting.info.method = "healthz";
  }
  if (own_answer.has_value()) {
    accounting.status = own_answer->result_int();
    accounting.bytes_out = own_answer->body().size();
    const bool written = co_await WriteResponse(
        stream, std::move(*own_answer), limits_.client_write_timeout);
    if (accounting.info.method != "healthz") Account(accounting, metrics_);
    co_return written && keep_alive;
  }

  auto& target = std::get<ProxyTo>(route).target;
  accounting.key_prefix = policies::KeyPrefix(target.key);
  // Tenants and policies: rates, resolved addresses, instance caps and a
  // concurrency slot (held until the relay is done), before any lease.
  std::optional<ErrorReply> guard_refusal;
  Slot slot;
  runtime::AcquireRequest acquire = RequestGuard::LaunchRequest(target, {});
  if (guard_ != nullptr) {
    auto admitted = co_await guard_->Admit(target);
    if (auto* refused = std::get_if<ErrorReply>(&admitted)) {
      guard_refusal = std::move(*refused);
    } else {
      auto& admission = std::get<Admission>(admitted);
      acquire = std::move(admission.acquire);
      slot = std::move(admission.slot);
    }
  }
  absl::StatusOr<runtime::Lease> lease =
      absl::FailedPreconditionError("refused by the request guard");
  if (!guard_refusal) {
    lease = co_await AsyncAcquire(pool_, std::move(acquire),
                                  asio::use_awaitable);
  }
  if (guard_refusal || !lease.ok()) {
    const ErrorReply reply =
        guard_refusal ? *guard_refusal : AcquireFailureReply(lease.status());
    Response refusal =
        MakeErrorResponse(reply, RequestIdOf(request.body()), request.version(),
                          keep_alive);
    accounting.outcome =
        guard_refusal ? outcome::kRefused : AcquireOutcome(lease.status());
    accounting.refusal_code = reply.rpc_code;
    accounting.status = refusal.result_int();
    accounting.bytes_out = refusal.body().size();
    const bool written = co_await WriteResponse(
        stream, std::move(refusal), limits_.client_write_timeout);
    Account(accounting, metrics_);
    co_return written && keep_alive;
  }
  accounting.instance_id = lease->instance_id();
  RelayStats relay;
  const bool reusable = co_await RelayToInstance(
      request, stream, *lease, *connections_, limits_, &relay);
  accounting.status = relay.status;
  accounting.bytes_out = relay.bytes_out;
  accounting.backend_seconds = Seconds(relay.backend_time);
  accounting.outcome = relay.backend_failed ? outcome::kBackendError
                       : relay.client_gone  ? outcome::kClientGone
                                            : outcome::kOk;
  if (relay.backend_failed && relay.status == 502) {
    accounting.refusal_code = policies::rpc_code::kBackendFailed;
  }
  Account(accounting, metrics_);
  co_return reusable;
}

}  // namespace mcpgw::gateway
