#pragma once
// The MCP listener: Streamable HTTP on /mcp (every revision from 2025-03-26
// on) and the 2024-11-05 HTTP+SSE transport on /sse and /messages. Resolves
// the target, checks the session, leases the target's instance and relays.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "gateway/backend/backend_connections.h"
#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/relay_limits.h"
#include "gateway/http/http_server.h"
#include "gateway/http/request_guard.h"
#include "gateway/mcp/era_bridge.h"
#include "gateway/mcp/event_stream.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/legacy_sessions.h"
#include "gateway/mcp/mcp_route.h"
#include "gateway/mcp/sessions.h"
#include "gateway/observability/access_accounting.h"
#include "gateway/observability/metrics.h"
#include "policies/origin.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

struct McpHandlerOptions {
  std::string key_secret;
  RelayLimits limits;
  policies::OriginPolicy origin_policy;
  std::chrono::seconds session_ttl{std::chrono::hours(24)};
  ReplayLimits replay;
  // Set on the OAuth listener (docs/oauth.md): resource metadata, Bearer
  // challenges and CORS; the target policy then carries the verifier.
  std::optional<OAuthResource> oauth;
  // Where blocking work goes, off the I/O threads: the OAuth verifier's key
  // fetches. Null: done in place (tests without OAuth).
  asio::thread_pool* blocking = nullptr;
};

class McpHandler final : public RequestHandler {
 public:
  // `metrics` (optional) counts every request; every request is also
  // written to the access log.
  // Every time the handler reads (session expiry, replay ages, idle
  // connections, durations in the access log) is `clock`'s.
  McpHandler(runtime::InstancePoolApi& pool, const common::Clock& clock,
             McpHandlerOptions options, GatewayMetrics* metrics = nullptr);
  // Tenants and policies (issue 6): `policy` decides the target (tenant
  // tokens, DSN rules), `guard` (optional) admits it before the lease.
  void SetTenantPolicy(policies::TargetPolicy policy, RequestGuard* guard);
  // Closes the idle instance connections; must run before the io_context
  // that owns their sockets is destroyed.
  ~McpHandler() override;

  // A relayed answer (relay.h) is left in `tail`.
  asio::awaitable<bool> Handle(Request request, beast::tcp_stream& stream,
                               ConnectionTail& tail) override;

  // Shutdown: ends the streams that have no end of their own (the legacy
  // transport's, GET and subscriptions/listen streams; from 2025-11-25 on
  // each sends `retry:` first). Returns how many Streamable HTTP streams it
  // ended.
  std::size_t FinishStreams();
  // For GET /admin/sessions.
  nlohmann::json SessionsJson();
  // To share ended sessions beyond this process (src/ wires it).
  SessionManager& sessions() { return *sessions_; }
  std::size_t LegacySessionCount() { return legacy_.size(); }

 private:
  // A route that reaches no instance (the gateway's own answer, a refusal,
  // the health check). Its own coroutine, so that the answers it builds
  // live in its frame, not in Handle's, which every request makes: that
  // one stays within the allocator's per-thread cache (issue 19).
  asio::awaitable<bool> AnswerWithoutInstance(const Request& request,
                                              beast::tcp_stream& stream,
                                              const McpRoute& route,
                                              Accounting& accounting);
  // What a Streamable HTTP request asks for, once its version, metadata
  // and session id are checked.
  struct StreamableStep {
    enum class Kind { kRefuse, kEndSession, kResume, kBatch, kForward };
    Kind kind = Kind::kForward;
    std::optional<ErrorReply> refusal;  // kRefuse
    JsonRpcBody body;                   // a POST's messages
    std::optional<policies::SessionClaims> session;
    std::string_view last_event_id;  // kResume: into the request
  };
  // Takes `parsed_body` over (its messages go into the step's body).
  StreamableStep StepFor(const Request& request, const ProxyTo& route,
                         PostBody& parsed_body);
  // DELETE /mcp with the session's id: ends it, 204.
  asio::awaitable<bool> EndSession(const Request& request,
                                   beast::tcp_stream& client,
                                   const policies::SessionClaims& session,
                                   Accounting& accounting);
  // `parsed_body`: a POST's body, read by Handle (ReadPostBody), taken
  // over.
  asio::awaitable<bool> HandleStreamableHttp(Request& request,
                                             beast::tcp_stream& client,
                                             const ProxyTo& route,
                                             PostBody& parsed_body,
                                             Accounting& accounting,
                                             ConnectionTail& tail);
  asio::awaitable<bool> HandleBatch(
      Request& request, beast::tcp_stream& client,
      const policies::Target& target,
      const std::optional<policies::SessionClaims>& session,
      JsonRpcBody body, Accounting& accounting);
  asio::awaitable<bool> Resume(Request& request, beast::tcp_stream& client,
                               const policies::SessionClaims& session,
                               std::string_view last_event_id,
                               Accounting& accounting);
  asio::awaitable<bool> Forward(
      Request& request, beast::tcp_stream& client,
      const policies::Target& target,
      const std::optional<policies::SessionClaims>& session,
      const JsonRpcBody& body, Accounting& accounting, ConnectionTail& tail);

  // What Forward does, step by step: the claims of a session an initialize
  // opens; the request sent within the instance's own session (initialized
  // again when the instance forgot it); the kind of answer expected; then
  // the answer, as an event stream the gateway holds (StreamEvents) or
  // relayed as it comes by the connection (RelayThrough, into `tail`).
  policies::SessionClaims NewSessionClaims(const policies::Target& target,
                                           const nlohmann::json& initialize);
  asio::awaitable<OpenExchange> SendWithinSession(
      BackendRequest& backend_request,
      const std::optional<policies::SessionClaims>& session,
      const std::string& backend_session, runtime::Lease& lease);
  struct AnswerShape {
    bool post = false;
    bool listen = false;  // 2026-07-28's subscriptions/listen
    // The id of the request whose answer the client waits for, if any.
    std::optional<nlohmann::json> awaited_id;
  };
  static AnswerShape ShapeOfAnswer(const Request& request,
                                   const JsonRpcBody& body);
  asio::awaitable<bool> StreamEvents(
      Request& request, beast::tcp_stream& client,
      const std::optional<policies::SessionClaims>& session,
      const AnswerShape& shape, OpenExchange&& exchange,
      runtime::Lease&& lease, Accounting& accounting);
  void RelayThrough(const Request& request, OpenExchange exchange,
                    runtime::Lease lease, Slot slot, const AnswerShape& shape,
                    Accounting&& accounting,
                    std::chrono::steady_clock::time_point backend_start,
                    ConnectionTail& tail);

  // The answer to an initialize, read whole: its Mcp-Session-Id only when
  // the instance answered with a result (not with a JSON-RPC error).
  asio::awaitable<bool> AnswerInitialize(
      Request& request, beast::tcp_stream& client, OpenExchange& exchange,
      runtime::Lease& lease, const policies::Target& target,
      const nlohmann::json& initialize,
      std::chrono::steady_clock::time_point backend_start,
      Accounting& accounting);

  // 2026-07-28 clients of a backend that speaks only the initialize era
  // (mcp_bridge.cc): the era is probed once per instance.
  asio::awaitable<BackendEra> EraOf(const runtime::Lease& lease);
  asio::awaitable<bool> Bridge(Request& request, beast::tcp_stream& client,
                               runtime::Lease& lease,
                               const nlohmann::json& message,
                               Accounting& accounting);
  asio::awaitable<void> EndBackendSession(const runtime::Lease& lease,
                                          const std::string& backend_session,
                                          std::string_view version);

  asio::awaitable<bool> ServeLegacyStream(Request& request,
                                          beast::tcp_stream& client,
                                          const ProxyTo& route,
                                          Accounting& accounting);
  asio::awaitable<bool> AcceptLegacyMessage(Request& request,
                                            beast::tcp_stream& client,
                                            const ProxyTo& route,
                                            nlohmann::json parsed_body,
                                            Accounting& accounting);
  asio::awaitable<void> ProcessLegacyMessages(
      std::shared_ptr<LegacySession> session,
      std::vector<nlohmann::json> messages);

  // Admission by the request guard (rates, addresses, limits: `slot` then
  // holds a concurrency slot until it goes), a lease on the target's
  // instance and, within a session, the instance's own session (initializing
  // it again when it is new); else the refusal for the client and the
  // outcome to account.
  asio::awaitable<std::optional<std::pair<ErrorReply, std::string_view>>> Bind(
      const policies::Target& target,
      const std::optional<policies::SessionClaims>& session,
      std::optional<runtime::Lease>& lease, std::string& backend_session,
      Slot& slot);
  // Writes the gateway's own error answer and accounts for the request.
  asio::awaitable<bool> Refuse(const Request& request,
                               beast::tcp_stream& client,
                               const ErrorReply& reply,
                               Accounting& accounting,
                               std::string_view outcome);
  // Refuse with a 502 that says why the instance failed. Its own coroutine:
  // the reply lives in its frame, not in Forward's (issue 19).
  asio::awaitable<bool> RefuseAsBackendFailure(const Request& request,
                                               beast::tcp_stream& client,
                                               std::string message,
                                               Accounting& accounting);
  // Writes a small answer of the gateway's own and accounts for it.
  asio::awaitable<bool> Answer(const Request& request,
                               beast::tcp_stream& client, Response response,
                               Accounting& accounting);

  runtime::InstancePoolApi& pool_;
  const common::Clock& clock_;
  const McpHandlerOptions options_;
  GatewayMetrics* const metrics_;
  policies::TargetPolicy policy_;
  RequestGuard* guard_ = nullptr;
  // Also reached, weakly, by the pool's gone-listener.
  std::shared_ptr<BackendConnections> connections_;
  std::shared_ptr<SessionManager> sessions_;
  std::shared_ptr<BackendEras> eras_;
  std::shared_ptr<EventStreams> streams_;
  LegacySessions legacy_;
};

}  // namespace mcpgw::gateway
