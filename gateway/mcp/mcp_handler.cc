#include "gateway/mcp/mcp_handler.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/backend/async_acquire.h"
#include "gateway/backend/header_rewrite.h"
#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/instance_messenger.h"
#include "gateway/backend/relay.h"
#include "gateway/backend/sse_relay.h"
#include "gateway/backend/wire_head.h"
#include "gateway/auth/oauth_key_fetch.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/protocol_version.h"
#include "gateway/mcp/request_metadata.h"
#include "policies/instance_key.h"

namespace mcpgw::gateway {
namespace {


std::string_view AcquireOutcome(const absl::Status& status) {
  return absl::IsResourceExhausted(status) || absl::IsAborted(status)
             ? outcome::kRefused
             : outcome::kStartFailed;
}

constexpr std::string_view kSubscriptionsListen = "subscriptions/listen";
// A listen stream may be quiet for as long as nothing changes; the
// instance's connection closing still ends it at once.
constexpr std::chrono::seconds kListenIdleTimeout = std::chrono::hours(24);
// The `retry:` an open-ended stream ends with (2025-11-25 on): long enough
// for a replica's endpoints to leave its Service, or a reaped instance's
// replacement to be on its way, short enough not to lose much.
constexpr std::chrono::milliseconds kReconnectHint{2000};
// Priming events and `retry:` hints (2025-11-25, "Resumability").
constexpr std::string_view kFirstRevisionWithRetry = "2025-11-25";

ErrorReply BadRequest(int code, std::string message) {
  return ErrorReply{http::status::bad_request, code, std::move(message), {}};
}

ErrorReply BackendFailed(std::string message) {
  return ErrorReply{http::status::bad_gateway,
                    policies::rpc_code::kBackendFailed, std::move(message), {}};
}

}  // namespace

McpHandler::McpHandler(runtime::InstancePoolApi& pool,
                       const common::Clock& clock, McpHandlerOptions options,
                       GatewayMetrics* metrics)
    : pool_(pool),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      connections_(std::make_shared<BackendConnections>(clock_)),
      sessions_(std::make_shared<SessionManager>(
          options_.key_secret, options_.session_ttl, clock_)),
      eras_(std::make_shared<BackendEras>()),
      streams_(std::make_shared<EventStreams>(options_.replay, clock_)),
      legacy_(options_.replay, clock_) {
  // Weak: the pool outlives this handler, and the sockets inside must not
  // outlive the io_context they belong to.
  pool_.OnInstanceGone(
      [connections = std::weak_ptr<BackendConnections>(connections_),
       sessions = std::weak_ptr<SessionManager>(sessions_),
       eras = std::weak_ptr<BackendEras>(eras_)](
          const std::string& instance_id) {
        if (auto alive = connections.lock()) alive->Forget(instance_id);
        if (auto alive = sessions.lock()) alive->ForgetInstance(instance_id);
        if (auto alive = eras.lock()) alive->Forget(instance_id);
      });
  // A draining instance stops only once nothing holds it: its open-ended
  // streams would hold it for as long as their clients stay. They end (with
  // `retry:`), and their clients reconnect to the instance replacing it.
  pool_.OnInstanceDraining(
      [streams = std::weak_ptr<EventStreams>(streams_)](
          const std::string& instance_id) {
        const auto alive = streams.lock();
        const std::size_t ended =
            alive ? alive->EndOpenEnded(instance_id) : 0;
        if (ended > 0) {
          spdlog::info("instance {}: draining; {} open-ended stream(s) ended",
                       instance_id, ended);
        }
      });
}

McpHandler::~McpHandler() { connections_->Clear(); }

void McpHandler::SetTenantPolicy(policies::TargetPolicy policy,
                                 RequestGuard* guard) {
  policy_ = std::move(policy);
  guard_ = guard;
}

std::size_t McpHandler::FinishStreams() {
  legacy_.FinishAll();
  return streams_->EndOpenEnded();
}

nlohmann::json McpHandler::SessionsJson() {
  const auto sessions = sessions_->stats();
  const auto streams = streams_->stats();
  return {
      {"sessions_issued", sessions.issued},
      {"sessions_ended", sessions.ended},
      {"sessions_rejected", sessions.rejected},
      {"backend_sessions", sessions.backend_sessions},
      {"session_ttl_seconds", sessions_->ttl().count()},
      {"legacy_sse_sessions", legacy_.size()},
      {"resumable_streams", streams.streams},
      {"replay_buffer_bytes", streams.bytes},
  };
}

asio::awaitable<bool> McpHandler::Answer(const Request& request,
                                         beast::tcp_stream& client,
                                         Response response,
                                         Accounting& accounting) {
  accounting.status = response.result_int();
  accounting.bytes_out = response.body().size();
  const bool written = co_await WriteResponse(
      client, std::move(response), options_.limits.client_write_timeout);
  Account(accounting, metrics_);
  co_return written && KeepAlive(request);
}

asio::awaitable<bool> McpHandler::Refuse(const Request& request,
                                         beast::tcp_stream& client,
                                         const ErrorReply& reply,
                                         Accounting& accounting,
                                         std::string_view outcome) {
  accounting.outcome = outcome;
  accounting.refusal_code = reply.rpc_code;
  Response response = MakeErrorResponse(reply, RequestIdOf(request.body()),
                                        request.version(),
                                        KeepAlive(request));
  if (options_.oauth) {
    // A browser client must be able to read the challenge.
    for (const auto& [name, value] : CorsHeaders(request)) {
      response.set(name, value);
    }
  }
  co_return co_await Answer(request, client, std::move(response), accounting);
}

asio::awaitable<bool> McpHandler::RefuseAsBackendFailure(
    const Request& request, beast::tcp_stream& client, std::string message,
    Accounting& accounting) {
  const ErrorReply reply = BackendFailed(std::move(message));
  co_return co_await Refuse(request, client, reply, accounting,
                            outcome::kBackendError);
}

asio::awaitable<std::optional<std::pair<ErrorReply, std::string_view>>>
McpHandler::Bind(const policies::Target& target,
                 const std::optional<policies::SessionClaims>& session,
                 std::optional<runtime::Lease>& lease,
                 std::string& backend_session, Slot& slot) {
  if (guard_ != nullptr) {
    auto refused = co_await guard_->Admit(target, slot);
    if (refused) {
      co_return std::make_pair(std::move(*refused), outcome::kRefused);
    }
  }
  // The usual request finds its instance ready: the lease at once, with no
  // launch request built (it copies the target) and no round through the
  // pool's callback and the loop.
  if (auto ready = pool_.TryAcquireReady(target.key)) {
    lease.emplace(std::move(*ready));
  } else {
    // Named first: GCC 12 destroys a temporary made in a co_await's
    // operands twice (see mcp_bridge.cc).
    runtime::AcquireRequest acquire =
        guard_ != nullptr ? guard_->LaunchRequestFor(target)
                          : RequestGuard::LaunchRequest(target, {});
    auto acquired = co_await AsyncAcquire(pool_, std::move(acquire),
                                          asio::use_awaitable);
    if (!acquired.ok()) {
      co_return std::make_pair(AcquireFailureReply(acquired.status()),
                               AcquireOutcome(acquired.status()));
    }
    lease.emplace(std::move(*acquired));
  }
  if (!session) co_return std::nullopt;
  auto known = co_await BackendSessionFor(*session, *lease, *sessions_,
                                          *connections_, options_.limits);
  if (!known.ok()) {
    lease->CountError();
    co_return std::make_pair(
        BackendFailed(std::string(known.status().message())),
        outcome::kBackendError);
  }
  backend_session = std::move(*known);
  co_return std::nullopt;
}

asio::awaitable<bool> McpHandler::AnswerWithoutInstance(
    const Request& request, beast::tcp_stream& stream, const McpRoute& route,
    Accounting& accounting) {
  if (const auto* own = std::get_if<OwnAnswer>(&route)) {
    Response response{own->status, request.version()};
    if (!own->body.is_null()) {
      response = MakeJsonResponse(own->status, own->body, request.version(),
                                  KeepAlive(request));
    }
    for (const auto& [name, value] : own->headers) response.set(name, value);
    response.keep_alive(KeepAlive(request));
    response.prepare_payload();
    co_return co_await Answer(request, stream, std::move(response), accounting);
  }
  if (const auto* error = std::get_if<ErrorReply>(&route)) {
    co_return co_await Refuse(request, stream, *error, accounting,
                              outcome::kRefused);
  }
  // HealthCheck: not a request to account.
  const nlohmann::json healthy = {{"status", "ok"}};
  Response response = MakeJsonResponse(http::status::ok, healthy,
                                       request.version(), KeepAlive(request));
  co_return co_await WriteResponse(stream, std::move(response),
                                   options_.limits.client_write_timeout) &&
      KeepAlive(request);
}

asio::awaitable<bool> McpHandler::Handle(Request request,
                                         beast::tcp_stream& stream,
                                         ConnectionTail& tail) {
  Accounting accounting(clock_);
  // A POST body is read here, once, for the access log, the route's check
  // and the handler: summarized when it is one plain message, else parsed.
  PostBody body = request.method() == http::verb::post
                      ? ReadPostBody(request.body())
                      : PostBody{};
  accounting.info =
      body.summary ? DescribeSummarizedMcpRequest(*body.summary)
                   : DescribeParsedMcpRequest(request.method(), body.value);
  accounting.bytes_in = request.body().size();
  // Verifying an OAuth token uses cached keys only; what they lack is
  // fetched first, off the I/O thread. (Without OAuth no coroutine is made.)
  if (policy_.oauth != nullptr) {
    co_await FetchMissingOAuthKeys(policy_.oauth, request, options_.blocking);
  }
  // On the heap: the route (some 500 bytes) would take this frame, which
  // every request makes, past what the allocator's per-thread cache serves.
  // Made there by DecideMcpRoute itself (`new` from its result is not a
  // move, as make_unique's would be: its target's strings, issue 19).
  const std::unique_ptr<const McpRoute> route(new McpRoute(
      DecideMcpRoute(request, options_.key_secret, options_.origin_policy,
                     policy_, &body,
                     options_.oauth ? &*options_.oauth : nullptr)));
  if (!std::holds_alternative<ProxyTo>(*route)) {
    co_return co_await AnswerWithoutInstance(request, stream, *route,
                                             accounting);
  }
  const auto& proxy = std::get<ProxyTo>(*route);
  accounting.key_prefix = policies::KeyPrefix(proxy.target.key);
  switch (proxy.endpoint) {
    case McpEndpoint::kLegacyStream:
      co_return co_await ServeLegacyStream(request, stream, proxy, accounting);
    case McpEndpoint::kLegacyMessage:
      co_return co_await AcceptLegacyMessage(
          request, stream, proxy, std::move(BodyValue(body, request.body())),
          accounting);
    case McpEndpoint::kStreamableHttp:
      break;
  }
  co_return co_await HandleStreamableHttp(request, stream, proxy, body,
                                          accounting, tail);
}

McpHandler::StreamableStep McpHandler::StepFor(const Request& request,
                                               const ProxyTo& route,
                                               PostBody& parsed_body) {
  // Every return is of `step`, so that it is made where the caller keeps it
  // (its moves cost some 300 instructions a request, issue 19).
  StreamableStep step;
  const auto refuse = [&step](ErrorReply reply) {
    step.kind = StreamableStep::Kind::kRefuse;
    step.refusal = std::move(reply);
  };
  const auto version_header = FindHeader(request, kProtocolVersionHeader);
  if (version_header && !IsSupportedProtocolVersion(*version_header)) {
    refuse(UnsupportedVersionReply(*version_header,
                                   BodyValue(parsed_body, request.body())));
    return step;
  }
  // The stateless era mirrors the body into headers; a client of it that
  // left the version header out is caught here too (else it would be taken
  // as 2025-03-26). Its checks and its bridge (Forward) read the message's
  // value; a summarized body has no params._meta.
  if (request.method() == http::verb::post &&
      ((version_header && IsStatelessRevision(*version_header)) ||
       (!version_header && !MetaProtocolVersion(parsed_body.value).empty()))) {
    if (auto mismatch = CheckRequestMetadata(
            request, BodyValue(parsed_body, request.body()))) {
      refuse(std::move(*mismatch));
      return step;
    }
  }
  if (request.method() == http::verb::post) {
    step.body = ToJsonRpcBody(std::move(parsed_body));
  }
  const bool initialize = IsSingleInitialize(step.body);

  // A session id is checked on everything but initialize, which starts a
  // new session whatever the client still holds.
  if (const auto session_id = FindHeader(request, kSessionHeader);
      session_id && !initialize) {
    auto claims = sessions_->Open(*session_id, route.target.SessionKey());
    if (!claims.ok()) {
      refuse(ErrorReply{http::status::not_found,
                        policies::rpc_code::kUnknownSession,
                        std::string(claims.status().message()),
                        {}});
      return step;
    }
    step.session = std::move(*claims);
  }

  if (request.method() == http::verb::delete_) {
    if (!step.session) {
      refuse(BadRequest(policies::rpc_code::kInvalidRequest,
                        "DELETE /mcp ends a session: send its Mcp-Session-Id"));
      return step;
    }
    step.kind = StreamableStep::Kind::kEndSession;
    return step;
  }
  if (request.method() == http::verb::get) {
    if (const auto last_event_id = FindHeader(request, "Last-Event-ID")) {
      if (!step.session) {
        refuse(BadRequest(policies::rpc_code::kInvalidRequest,
                          "resuming a stream (Last-Event-ID) needs the "
                          "session's Mcp-Session-Id"));
        return step;
      }
      step.kind = StreamableStep::Kind::kResume;
      step.last_event_id = *last_event_id;
      return step;
    }
  }
  step.kind = step.body.shape == JsonRpcBody::Shape::kBatch
                  ? StreamableStep::Kind::kBatch
                  : StreamableStep::Kind::kForward;
  return step;
}

asio::awaitable<bool> McpHandler::HandleStreamableHttp(
    Request& request, beast::tcp_stream& client, const ProxyTo& route,
    PostBody& parsed_body, Accounting& accounting, ConnectionTail& tail) {
  // Decided outside the coroutine: its checks' temporaries (error replies,
  // the session's claims being read) stay out of this frame.
  StreamableStep step = StepFor(request, route, parsed_body);
  switch (step.kind) {
    case StreamableStep::Kind::kRefuse:
      co_return co_await Refuse(request, client, *step.refusal, accounting,
                                outcome::kRefused);
    case StreamableStep::Kind::kEndSession:
      co_return co_await EndSession(request, client, *step.session,
                                    accounting);
    case StreamableStep::Kind::kResume:
      co_return co_await Resume(request, client, *step.session,
                                step.last_event_id, accounting);
    case StreamableStep::Kind::kBatch:
      co_return co_await HandleBatch(request, client, route.target,
                                     step.session, std::move(step.body),
                                     accounting);
    case StreamableStep::Kind::kForward:
      break;
  }
  co_return co_await Forward(request, client, route.target, step.session,
                             step.body, accounting, tail);
}

asio::awaitable<bool> McpHandler::EndSession(
    const Request& request, beast::tcp_stream& client,
    const policies::SessionClaims& session, Accounting& accounting) {
  sessions_->End(session);
  Response ended{http::status::no_content, request.version()};
  ended.keep_alive(KeepAlive(request));
  ended.prepare_payload();
  accounting.info.method = "DELETE";
  co_return co_await Answer(request, client, std::move(ended), accounting);
}

asio::awaitable<bool> McpHandler::Forward(
    Request& request, beast::tcp_stream& client,
    const policies::Target& target,
    const std::optional<policies::SessionClaims>& session,
    const JsonRpcBody& body, Accounting& accounting, ConnectionTail& tail) {
  std::optional<runtime::Lease> lease;
  std::string backend_session;
  Slot slot;
  if (auto refusal =
          co_await Bind(target, session, lease, backend_session, slot)) {
    accounting.instance_id = lease ? lease->instance_id() : std::string();
    co_return co_await Refuse(request, client, refusal->first, accounting,
                              refusal->second);
  }
  accounting.instance_id = lease->instance_id();
  // A 2026-07-28 request to a backend of the initialize era is bridged
  // (its message's value is built: StepFor's checks of that era read it).
  // (No co_await inside a condition: GCC 12 miscompiles the temporaries.)
  const auto version = FindHeader(request, kProtocolVersionHeader);
  if (request.method() == http::verb::post && version &&
      IsStatelessRevision(*version) &&
      body.shape == JsonRpcBody::Shape::kSingle) {
    const BackendEra era = co_await EraOf(*lease);
    if (era == BackendEra::kInitialize) {
      co_return co_await Bridge(request, client, *lease,
                                body.messages.front(), accounting);
    }
  }

  const auto backend_start = clock_.Now();
  BackendRequest backend_request =
      BuildBackendRequest(request, lease->request_fields());
  auto exchange = co_await SendWithinSession(backend_request, session,
                                             backend_session, *lease);
  if (exchange.connection == nullptr) {
    lease->CountError();
    accounting.backend_seconds =
        Seconds(clock_.Now() - backend_start);
    co_return co_await RefuseAsBackendFailure(
        request, client, BackendFailureMessage(exchange.error), accounting);
  }

  auto& head = exchange.parser->get();
  CleanBackendResponseHeaders(head.base());
  if (options_.oauth) {
    for (const auto& [name, value] : CorsHeaders(request)) head.set(name, value);
  }
  if (IsSingleInitialize(body)) {
    co_return co_await AnswerInitialize(request, client, exchange, *lease,
                                        target, body.messages.front(),
                                        backend_start, accounting);
  }
  // The instance's own session id stays between it and the gateway.
  head.erase(kSessionHeader);
  accounting.status = head.result_int();

  const AnswerShape shape = ShapeOfAnswer(request, body);
  // Event streams within a session are re-framed with the gateway's event
  // ids and kept for Last-Event-ID (a listen stream is held the same way);
  // without a session nothing can resume them, and they stream through as
  // they come (no event held whole).
  if ((session || shape.listen) &&
      IsEventStream(
          FindHeader(head, http::field::content_type).value_or(""))) {
    co_return co_await StreamEvents(request, client, session, shape,
                                    std::move(exchange), std::move(*lease),
                                    accounting);
  }
  RelayThrough(request, std::move(exchange), std::move(*lease),
               std::move(slot), shape, std::move(accounting), backend_start,
               tail);
  co_return KeepAlive(request);
}

policies::SessionClaims McpHandler::NewSessionClaims(
    const policies::Target& target, const nlohmann::json& initialize) {
  // The route checked the fields' types; read them without throwing all
  // the same.
  const auto params_it = initialize.find("params");
  const nlohmann::json params = params_it != initialize.end()
                                    ? *params_it
                                    : nlohmann::json::object();
  return sessions_->NewClaims(
      target.SessionKey(), RequestedProtocolVersion(initialize),
      params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

asio::awaitable<OpenExchange> McpHandler::SendWithinSession(
    BackendRequest& backend_request,
    const std::optional<policies::SessionClaims>& session,
    const std::string& backend_session, runtime::Lease& lease) {
  backend_request.SetSession(backend_session);
  auto exchange = co_await SendToInstance(backend_request, lease,
                                          *connections_, options_.limits);
  if (exchange.connection != nullptr && !backend_session.empty() &&
      exchange.parser->get().result() == http::status::not_found) {
    // The instance no longer knows its session (restarted in place, or
    // expired it): initialize it again and send the request once more.
    exchange = OpenExchange{};
    sessions_->TakeBackendSession(session->nonce, lease.instance_id());
    auto again = co_await BackendSessionFor(*session, lease, *sessions_,
                                            *connections_, options_.limits);
    if (again.ok()) {
      backend_request.SetSession(*again);
      exchange = co_await SendToInstance(backend_request, lease,
                                         *connections_, options_.limits);
    }
  }
  co_return exchange;
}

McpHandler::AnswerShape McpHandler::ShapeOfAnswer(const Request& request,
                                                  const JsonRpcBody& body) {
  AnswerShape shape;
  shape.post = request.method() == http::verb::post;
  const bool single = shape.post && body.shape == JsonRpcBody::Shape::kSingle;
  if (single && body.summary) {
    shape.awaited_id = body.summary->id;
    shape.listen = body.summary->method == kSubscriptionsListen;
    return shape;
  }
  if (single && IsJsonRpcRequest(body.messages.front())) {
    shape.awaited_id = body.messages.front()["id"];
  }
  // 2026-07-28's subscriptions/listen answers with a stream that stays open
  // for as long as the client wants notifications: it is held like a GET
  // stream (keep-alives, a client that leaves is noticed, the instance is
  // not reaped under it), and a quiet one is not cut by the idle limit.
  shape.listen = single && StringMember(body.messages.front(), "method") ==
                               kSubscriptionsListen;
  return shape;
}

asio::awaitable<bool> McpHandler::StreamEvents(
    Request& request, beast::tcp_stream& client,
    const std::optional<policies::SessionClaims>& session,
    const AnswerShape& shape, OpenExchange&& exchange, runtime::Lease&& lease,
    Accounting& accounting) {
  const bool keep_alive = KeepAlive(request);
  // Answers to POSTs can be resumed within their session; a GET stream
  // (server-to-client messages) or a listen stream ends with its client's
  // connection, or when the gateway ends it with a reconnection hint.
  const bool open_ended = !shape.post || shape.listen;
  const std::string owner =
      !open_ended && session ? session->nonce : std::string();
  const auto revision = EffectiveProtocolVersion(
      FindHeader(request, kProtocolVersionHeader),
      session ? std::string_view(session->protocol_version)
              : std::string_view());
  auto stream = open_ended
                    ? streams_->CreateOpenEnded(
                          lease.instance_id(),
                          revision >= kFirstRevisionWithRetry
                              ? kReconnectHint
                              : std::chrono::milliseconds(0))
                    : streams_->Create(owner);
  // 2025-11-25: an event with an id and no data first, so that a client
  // whose connection breaks before the answer can still resume.
  if (!owner.empty() &&
      session->protocol_version >= kFirstRevisionWithRetry) {
    stream->Append("", "");
  }
  // Written before the pump reads on (a chunked answer's trailer would add
  // to the instance's fields).
  std::string out_head = EventStreamHead(exchange.parser->get(),
                                         request.version(), keep_alive);
  RelayLimits limits = options_.limits;
  if (shape.listen) limits.backend_idle_timeout = kListenIdleTimeout;
  auto job = std::make_shared<PumpJob>(std::move(exchange), std::move(lease),
                                       stream, connections_, limits);
  job->awaited_id = shape.awaited_id;
  // A short answer is commonly whole in what was read with its head: it is
  // then on the stream at once, and the writer sends it in one write.
  if (!PumpWhatIsRead(*job)) {
    asio::co_spawn(co_await asio::this_coro::executor,
                   PumpInstanceEvents(job), asio::detached);
  }
  const bool delivered = co_await WriteEventStream(
      client, std::move(out_head), request.version(), *stream, 1,
      options_.limits, &accounting.bytes_out);
  // Nobody reads the rest of a stream that cannot be resumed: one whose
  // client left, or one the gateway ended (shutdown) while its instance
  // still had it open. (A pump that is done already is left as it is.)
  if (stream->session().empty()) AbandonPump(*job);
  // Delivered whole: nothing left to resume.
  if (delivered && !owner.empty()) streams_->Remove(stream->id());
  accounting.backend_seconds = Seconds(job->backend_time);
  accounting.outcome = !delivered            ? outcome::kClientGone
                       : job->backend_failed ? outcome::kBackendError
                                             : outcome::kOk;
  Account(accounting, metrics_);
  co_return delivered && keep_alive && request.version() >= 11;
}

void McpHandler::RelayThrough(
    const Request& request, OpenExchange exchange, runtime::Lease lease,
    Slot slot, const AnswerShape& shape, Accounting&& accounting,
    std::chrono::steady_clock::time_point backend_start,
    ConnectionTail& tail) {
  // The connection relays the rest once this handler's frames are gone
  // (an open stream then holds only what the relay needs); the concurrency
  // slot and the lease stay taken until it ends.
  // The request's record and its slot, moved once into one block the
  // callback shares (a std::function, copied with it: the record moved
  // with the callback cost some 300 instructions a request, issue 19).
  struct Held {
    // (A constructor: clang 14 has no aggregate initialization by
    // parentheses, which make_shared would need.)
    Held(Accounting&& a, Slot&& s)
        : accounting(std::move(a)), slot(std::move(s)) {}
    Accounting accounting;
    Slot slot;
  };
  auto held = std::make_shared<Held>(std::move(accounting), std::move(slot));
  auto finished = [held = std::move(held), metrics = metrics_,
                   backend_start](const RelayStats& relay) {
    Accounting& accounting = held->accounting;
    accounting.status = relay.status;
    accounting.bytes_out = relay.bytes_out;
    accounting.backend_seconds =
        Seconds(accounting.clock->Now() - backend_start);
    accounting.outcome = relay.backend_failed ? outcome::kBackendError
                         : relay.client_gone  ? outcome::kClientGone
                                              : outcome::kOk;
    Account(accounting, metrics);
  };
  CutStreamEnding ending;
  if (shape.awaited_id) {
    ending = [id = *shape.awaited_id](std::string_view failure) {
      return BackendStoppedBody(id, failure);
    };
  }
  tail = DeferRelay(std::make_shared<DeferredRelay>(
      std::move(exchange), std::move(lease), connections_, options_.limits,
      KeepAlive(request), std::move(ending), std::move(finished)));
}

asio::awaitable<bool> McpHandler::AnswerInitialize(
    Request& request, beast::tcp_stream& client, OpenExchange& exchange,
    runtime::Lease& lease, const policies::Target& target,
    const nlohmann::json& initialize,
    std::chrono::steady_clock::time_point backend_start,
    Accounting& accounting) {
  // The instance's session id is kept for the gateway's session, never
  // passed on. (Read here, not in Forward: its frame, made for every
  // request, stays under the allocator's large-chunk size.)
  const std::string instance_session(
      exchange.parser->get()[kSessionHeader]);
  exchange.parser->get().erase(kSessionHeader);
  auto new_session = NewSessionClaims(target, initialize);
  const nlohmann::json& id = initialize["id"];
  // The answer is read whole (an initialize answer is small): a session is
  // issued only for a result, never for a JSON-RPC error, and the header
  // that carries it goes before the body.
  const auto& head = exchange.parser->get();
  const std::string content_type(
      FindHeader(head, http::field::content_type).value_or(""));
  auto whole = co_await ReadWholeBody(exchange, lease, *connections_,
                                      options_.limits, kMaxWholeAnswerBytes);
  accounting.backend_seconds =
      Seconds(clock_.Now() - backend_start);
  if (!whole) {
    lease.CountError();
    co_return co_await RefuseAsBackendFailure(
        request, client,
        "the MCP server behind the gateway stopped before it answered; "
        "retry the request",
        accounting);
  }
  const auto messages = MessagesOfAnswer(content_type, *whole);
  Response response{head.result(), request.version()};
  for (const auto& field : head) {
    if (field.name() == http::field::content_length ||
        field.name() == http::field::transfer_encoding ||
        field.name() == http::field::connection) {
      continue;
    }
    response.insert(field.name_string(), field.value());
  }
  if (head.result() == http::status::ok && InitializeSucceeded(messages, id)) {
    new_session.backend_sessions = !instance_session.empty();
    if (new_session.backend_sessions) {
      sessions_->SetBackendSession(new_session.nonce, lease.instance_id(),
                                   instance_session);
    }
    response.set(kSessionHeader, sessions_->Issue(new_session));
  }
  if (IsEventStream(content_type)) {
    // The instance's events again, without its event ids (the gateway's
    // own would name a stream nobody can resume: it is whole here).
    for (const auto& message : messages) {
      response.body() += "event: message\ndata: ";
      response.body() += message.dump(-1, ' ', false,
                                       nlohmann::json::error_handler_t::replace);
      response.body() += "\n\n";
    }
  } else {
    response.body() = std::move(*whole);
  }
  response.keep_alive(KeepAlive(request));
  response.prepare_payload();
  co_return co_await Answer(request, client, std::move(response), accounting);
}

asio::awaitable<bool> McpHandler::Resume(Request& request,
                                         beast::tcp_stream& client,
                                         const policies::SessionClaims& session,
                                         std::string_view last_event_id,
                                         Accounting& accounting) {
  accounting.info.method = "resume";
  const auto id = ParseEventId(last_event_id);
  auto stream = id ? streams_->Find(id->stream_id) : nullptr;
  const auto gone = [&](std::string why) {
    return ErrorReply{http::status::gone, policies::rpc_code::kStreamGone,
                      text::Cat("cannot resume after event '",
                                last_event_id.substr(0, 80), "': ", why,
                                "; send the request again"),
                      {}};
  };
  if (stream == nullptr || stream->session() != session.nonce) {
    co_return co_await Refuse(
        request, client,
        gone("this gateway holds no such stream of this session (streams "
             "are kept " +
             std::to_string(options_.replay.max_age.count()) +
             " s after they end, in the gateway process that sent them)"),
        accounting, outcome::kRefused);
  }
  if (stream->ReadFrom(id->sequence + 1).gone) {
    co_return co_await Refuse(
        request, client,
        gone("its events were dropped (the replay buffer keeps " +
             std::to_string(options_.replay.max_bytes) + " bytes and " +
             std::to_string(options_.replay.max_age.count()) +
             " s per stream)"),
        accounting, outcome::kRefused);
  }
  accounting.status = 200;
  const bool delivered = co_await WriteEventStream(
      client, OwnEventStreamHead(request.version(), KeepAlive(request)),
      request.version(),
      *stream, id->sequence + 1, options_.limits, &accounting.bytes_out);
  accounting.outcome = delivered ? outcome::kOk : outcome::kClientGone;
  Account(accounting, metrics_);
  co_return delivered && KeepAlive(request) && request.version() >= 11;
}

asio::awaitable<bool> McpHandler::HandleBatch(
    Request& request, beast::tcp_stream& client,
    const policies::Target& target,
    const std::optional<policies::SessionClaims>& session, JsonRpcBody body,
    Accounting& accounting) {
  const auto version = EffectiveProtocolVersion(
      FindHeader(request, kProtocolVersionHeader),
      session ? std::string_view(session->protocol_version)
              : std::string_view());
  if (!AllowsBatches(version)) {
    co_return co_await Refuse(
        request, client,
        BadRequest(policies::rpc_code::kInvalidRequest,
                   text::Cat("JSON-RPC batches are not part of MCP ", version,
                             " (they were removed in 2025-06-18); send one "
                             "message per request")),
        accounting, outcome::kRefused);
  }
  if (body.messages.empty()) {
    co_return co_await Refuse(
        request, client,
        BadRequest(policies::rpc_code::kInvalidRequest,
                   "an empty JSON-RPC batch is not a request"),
        accounting, outcome::kRefused);
  }
  for (const auto& message : body.messages) {
    if (IsInitialize(message)) {
      co_return co_await Refuse(
          request, client,
          BadRequest(policies::rpc_code::kInvalidRequest,
                     "initialize must not be part of a JSON-RPC batch"),
          accounting, outcome::kRefused);
    }
  }
  std::optional<runtime::Lease> lease;
  std::string backend_session;
  Slot slot;
  if (auto refusal =
          co_await Bind(target, session, lease, backend_session, slot)) {
    co_return co_await Refuse(request, client, refusal->first, accounting,
                              refusal->second);
  }
  accounting.instance_id = lease->instance_id();
  // Each message goes to the instance on its own (not every server takes
  // batches, and 2025-06-18 servers must not), in order; the answers are
  // gathered into one array.
  nlohmann::json answers = nlohmann::json::array();
  for (const auto& message : body.messages) {
    // An element that is no message, or has a field of the wrong type, is
    // answered with its own error (naming the field); the others go on.
    const nlohmann::json id = EchoableId(message);
    if (const auto problem = BatchElementProblem(message)) {
      answers.push_back(JsonRpcErrorObject(id, problem->code, problem->message));
      continue;
    }
    auto answer = co_await PostToInstance(message, std::string(version),
                                          backend_session, *lease,
                                          *connections_, options_.limits);
    if (IsJsonRpcRequest(message)) {
      answers.push_back(AnswerFor(id, answer.messages, answer.failure));
    }
  }
  if (answers.empty()) {
    // Notifications and responses only: nothing to answer (as a single
    // message would get).
    Response accepted{http::status::accepted, request.version()};
    accepted.keep_alive(KeepAlive(request));
    accepted.prepare_payload();
    co_return co_await Answer(request, client, std::move(accepted),
                              accounting);
  }
  co_return co_await Answer(
      request, client,
      MakeJsonResponse(http::status::ok, answers, request.version(),
                       KeepAlive(request)),
      accounting);
}

}  // namespace mcpgw::gateway
