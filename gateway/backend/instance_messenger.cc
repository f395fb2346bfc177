#include "gateway/backend/instance_messenger.h"

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/backend/header_rewrite.h"
#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/relay.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/protocol_version.h"
#include "gateway/mcp/request_metadata.h"
#include "gateway/mcp/sessions.h"
#include "policies/target.h"

namespace mcpgw::gateway {

asio::awaitable<MessageAnswer> PostToInstance(
    const nlohmann::json& message, std::string_view protocol_version,
    std::string_view backend_session, const runtime::Lease& lease,
    BackendConnections& connections, const RelayLimits& limits) {
  MessageAnswer answer;
  BackendRequest request = NewBackendRequest(
      http::verb::post,
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      protocol_version, lease.request_fields());
  request.SetSession(backend_session);
  // 2026-07-28 mirrors the method into a header the server checks.
  if (IsStatelessRevision(protocol_version)) {
    request.AddField(kMcpMethodHeader, StringMember(message, "method"));
  }
  auto exchange = co_await SendToInstance(request, lease, connections, limits);
  if (exchange.connection == nullptr) {
    answer.failure = BackendFailureMessage(exchange.error);
    co_return answer;
  }
  const auto& head = exchange.parser->get();
  answer.status = head.result_int();
  answer.backend_session = std::string(head[kSessionHeader]);
  const std::string content_type(head[http::field::content_type]);
  auto body = co_await ReadWholeBody(exchange, lease, connections, limits,
                                     kMaxWholeAnswerBytes);
  if (!body) {
    answer.failure =
        "the MCP server behind the gateway stopped before it answered; "
        "retry the request";
    co_return answer;
  }
  answer.messages = MessagesOfAnswer(content_type, *body);
  if (answer.status >= 400 && answer.messages.empty()) {
    answer.failure = text::Cat("the MCP server behind the gateway answered "
                               "HTTP ", answer.status);
  }
  co_return answer;
}

asio::awaitable<absl::StatusOr<std::string>> BackendSessionFor(
    const policies::SessionClaims& claims, const runtime::Lease& lease,
    SessionManager& sessions, BackendConnections& connections,
    const RelayLimits& limits) {
  if (!claims.backend_sessions) co_return std::string();
  if (auto known = sessions.BackendSession(claims.nonce, lease.instance_id())) {
    co_return *known;
  }
  // A new instance behind an old session (reaped, crashed, another gateway
  // process): initialize it as the client once did.
  nlohmann::json params = nlohmann::json::parse(claims.initialize_params,
                                                nullptr, false);
  if (!params.is_object()) params = nlohmann::json::object();
  const nlohmann::json initialize = {{"jsonrpc", "2.0"},
                                     {"id", "mcp-gateway-reinitialize"},
                                     {"method", "initialize"},
                                     {"params", params}};
  auto answer = co_await PostToInstance(initialize, "", "", lease, connections,
                                        limits);
  if (answer.failure || answer.status != 200 ||
      answer.backend_session.empty()) {
    co_return absl::UnavailableError(text::Cat(
        "could not initialize the MCP server again behind this session: ",
        answer.failure.value_or(text::Cat("HTTP ", answer.status))));
  }
  const nlohmann::json initialized = {
      {"jsonrpc", "2.0"}, {"method", "notifications/initialized"}};
  auto ack = co_await PostToInstance(initialized, claims.protocol_version,
                                     answer.backend_session, lease,
                                     connections, limits);
  if (ack.failure && ack.status == 0) {
    co_return absl::UnavailableError(*ack.failure);
  }
  spdlog::info("instance {}: initialized again behind an existing session",
               lease.instance_id());
  sessions.SetBackendSession(claims.nonce, lease.instance_id(),
                             answer.backend_session);
  co_return answer.backend_session;
}

nlohmann::json AnswerFor(const nlohmann::json& id,
                         const std::vector<nlohmann::json>& messages,
                         const std::optional<std::string>& failure) {
  for (const auto& message : messages) {
    if (IsJsonRpcResponse(message) && message["id"] == id) return message;
  }
  return JsonRpcErrorObject(
      id, policies::rpc_code::kBackendFailed,
      failure.value_or("the MCP server behind the gateway sent no answer to "
                       "this request"));
}

}  // namespace mcpgw::gateway
