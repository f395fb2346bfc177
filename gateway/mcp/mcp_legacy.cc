// The 2024-11-05 HTTP+SSE transport, bridged to Streamable HTTP instances:
// GET /sse holds the session's stream, POST /messages is answered 202 at
// once and each message's answers follow on that stream.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/backend/instance_messenger.h"
#include "gateway/backend/sse_relay.h"
#include "gateway/backend/wire_head.h"
#include "gateway/mcp/mcp_handler.h"

namespace mcpgw::gateway {
namespace {

// The transport's version: what a client of it asks for, and what the
// instance is told when the client's initialize said nothing.
constexpr std::string_view kLegacyVersion = "2024-11-05";

void SendOnStream(LegacySession& session, const nlohmann::json& message) {
  session.stream->Append(
      "message",
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

asio::awaitable<bool> McpHandler::ServeLegacyStream(Request& request,
                                                    beast::tcp_stream& client,
                                                    const ProxyTo& route,
                                                    Accounting& accounting) {
  accounting.info.method = "sse";
  auto session = legacy_.Open(route.target);
  session->stream->Append(
      "endpoint", text::Cat(kLegacyMessagesPath, "?sessionId=", session->id));
  spdlog::debug("legacy SSE session {} opened", session->id);
  accounting.status = 200;
  const bool delivered = co_await WriteEventStream(
      client, OwnEventStreamHead(request.version(), KeepAlive(request)),
      request.version(),
      *session->stream, 1, options_.limits, &accounting.bytes_out);
  legacy_.Close(session->id);
  spdlog::debug("legacy SSE session {} closed", session->id);
  accounting.outcome = outcome::kOk;
  Account(accounting, metrics_);
  co_return delivered && KeepAlive(request) && request.version() >= 11;
}

asio::awaitable<bool> McpHandler::AcceptLegacyMessage(
    Request& request, beast::tcp_stream& client, const ProxyTo& route,
    nlohmann::json parsed_body, Accounting& accounting) {
  auto session = legacy_.Find(route.legacy_session, route.target.SessionKey());
  if (session == nullptr) {
    const ErrorReply reply{
        http::status::not_found, policies::rpc_code::kUnknownSession,
        "unknown session: no open GET /sse stream of these credentials has "
        "that sessionId; open a new one",
        {}};
    co_return co_await Refuse(request, client, reply, accounting,
                              outcome::kRefused);
  }
  // Not JSON, no message, or a message with a field of the wrong type:
  // answered on the request (400), not on the stream. A batch's elements
  // are answered each on the stream (below).
  if (auto bad_body = CheckParsedJsonRpcBody(parsed_body)) {
    co_return co_await Refuse(request, client, *bad_body, accounting,
                              outcome::kRefused);
  }
  auto body = ToJsonRpcBody(std::move(parsed_body));
  asio::co_spawn(co_await asio::this_coro::executor,
                 ProcessLegacyMessages(session, std::move(body.messages)),
                 asio::detached);
  Response accepted{http::status::accepted, request.version()};
  accepted.set(http::field::content_type, "text/plain");
  accepted.body() = "Accepted";
  accepted.keep_alive(KeepAlive(request));
  accepted.prepare_payload();
  co_return co_await Answer(request, client, std::move(accepted), accounting);
}

asio::awaitable<void> McpHandler::ProcessLegacyMessages(
    std::shared_ptr<LegacySession> session,
    std::vector<nlohmann::json> messages) {
  const auto fail_all = [&](std::string_view why) {
    for (const auto& message : messages) {
      if (IsJsonRpcRequest(message)) {
        SendOnStream(*session,
                     JsonRpcErrorObject(message["id"],
                                        policies::rpc_code::kBackendFailed,
                                        why));
      }
    }
  };
  std::optional<runtime::Lease> lease;
  std::string no_backend_session;  // per message, below
  Slot slot;
  if (auto refusal = co_await Bind(session->target, std::nullopt, lease,
                                   no_backend_session, slot)) {
    fail_all(refusal->first.message);
    co_return;
  }
  for (const auto& message : messages) {
    const nlohmann::json id = EchoableId(message);
    if (const auto problem = BatchElementProblem(message)) {
      SendOnStream(*session,
                   JsonRpcErrorObject(id, problem->code, problem->message));
      continue;
    }
    auto claims = session->Claims();
    std::string backend_session;
    std::string version = claims.protocol_version;
    if (IsInitialize(message)) {
      const auto params = message.find("params");
      claims.protocol_version = RequestedProtocolVersion(message);
      claims.initialize_params =
          (params != message.end() ? *params : nlohmann::json())
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      version.clear();
    } else {
      auto known = co_await BackendSessionFor(claims, *lease, *sessions_,
                                              *connections_, options_.limits);
      if (!known.ok()) {
        if (IsJsonRpcRequest(message)) {
          SendOnStream(*session, JsonRpcErrorObject(
                                     id, policies::rpc_code::kBackendFailed,
                                     std::string(known.status().message())));
        }
        continue;
      }
      backend_session = std::move(*known);
      if (version.empty()) version = std::string(kLegacyVersion);
    }
    auto answer = co_await PostToInstance(message, version, backend_session,
                                          *lease, *connections_,
                                          options_.limits);
    // A session only for a result: an initialize the instance refused
    // (a JSON-RPC error) leaves the session as it was.
    if (IsInitialize(message) && answer.status == 200 &&
        InitializeSucceeded(answer.messages, id)) {
      claims.backend_sessions = !answer.backend_session.empty();
      if (claims.backend_sessions) {
        sessions_->SetBackendSession(claims.nonce, lease->instance_id(),
                                     answer.backend_session);
      }
      session->SetClaims(claims);
    }
    if (answer.failure) lease->CountError();
    // Everything the instance said goes out: its answer, and any
    // notifications or requests of its own that came with it.
    bool answered = false;
    for (const auto& reply : answer.messages) {
      if (IsJsonRpcResponse(reply) && reply["id"] == id) answered = true;
      SendOnStream(*session, reply);
    }
    if (IsJsonRpcRequest(message) && !answered) {
      SendOnStream(*session, AnswerFor(id, {}, answer.failure));
    }
  }
}

}  // namespace mcpgw::gateway
