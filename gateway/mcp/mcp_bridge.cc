// McpHandler's bridge from a 2026-07-28 client to a backend of the
// initialize era (era_bridge.h says what and why).
#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/backend/header_rewrite.h"
#include "gateway/backend/instance_exchange.h"
#include "gateway/backend/instance_messenger.h"
#include "gateway/mcp/era_bridge.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/mcp_handler.h"
#include "gateway/mcp/protocol_version.h"
#include "gateway/mcp/sessions.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kInitializeId = "mcp-gateway-bridge-initialize";

// The message of a JSON-RPC error answer, or empty.
std::string ErrorMessageOf(const nlohmann::json& answer) {
  const auto error = answer.find("error");
  if (error == answer.end() || !error->is_object()) return {};
  return error->value("message", std::string());
}

}  // namespace

asio::awaitable<BackendEra> McpHandler::EraOf(const runtime::Lease& lease) {
  if (auto known = eras_->Find(lease.instance_id())) co_return *known;
  const nlohmann::json discover = DiscoverProbe();
  const std::string_view version = StatelessProtocolVersions().front();
  const auto probe = co_await PostToInstance(discover, version, "", lease,
                                             *connections_, options_.limits);
  if (probe.status == 0) {
    // No answer at all: take it as today (passed through), ask again later.
    co_return BackendEra::kStateless;
  }
  const auto era = AnswersStateless(probe.status, probe.messages)
                       ? BackendEra::kStateless
                       : BackendEra::kInitialize;
  eras_->Set(lease.instance_id(), era);
  spdlog::info("instance {}: speaks {}", lease.instance_id(),
               era == BackendEra::kStateless
                   ? "2026-07-28 (passed through)"
                   : "only the initialize era (2026-07-28 clients bridged)");
  co_return era;
}

asio::awaitable<void> McpHandler::EndBackendSession(
    const runtime::Lease& lease, const std::string& backend_session,
    std::string_view version) {
  BackendRequest end = NewBackendRequest(http::verb::delete_, "", version,
                                         lease.request_fields());
  end.SetSession(backend_session);
  auto exchange = co_await SendToInstance(end, lease, *connections_,
                                          options_.limits);
  if (exchange.connection != nullptr) {
    const auto ignored = co_await ReadWholeBody(
        exchange, lease, *connections_, options_.limits, kMaxWholeAnswerBytes);
    (void)ignored;  // read only to give the connection back
  }
}

asio::awaitable<bool> McpHandler::Bridge(Request& request,
                                         beast::tcp_stream& client,
                                         runtime::Lease& lease,
                                         const nlohmann::json& message,
                                         Accounting& accounting) {
  const auto backend_start = clock_.Now();
  if (!IsJsonRpcRequest(message)) {
    // 2026-07-28 defines no client notification over HTTP: nothing to carry.
    Response accepted{http::status::accepted, request.version()};
    accepted.keep_alive(KeepAlive(request));
    accepted.prepare_payload();
    co_return co_await Answer(request, client, std::move(accepted), accounting);
  }
  const nlohmann::json& id = message["id"];
  const std::string method = StringMember(message, "method");
  if (auto missing = MissingRequestMeta(message)) {
    co_return co_await Refuse(request, client, *missing, accounting,
                              outcome::kRefused);
  }
  const auto route = RouteForBridge(method);
  if (route == BridgeRoute::kRemoved) {
    // Named, not a temporary inside co_await: GCC 12 destroys such
    // braced temporaries twice.
    const ErrorReply removed{
        http::status::not_found, policies::rpc_code::kMethodNotFound,
        text::Cat("Method not found: '", method.substr(0, 80),
                  "' is not a 2026-07-28 method"),
        {}};
    co_return co_await Refuse(request, client, removed, accounting,
                              outcome::kRefused);
  }
  if (route == BridgeRoute::kUnbridgeable) {
    const ErrorReply unbridgeable{
        http::status::bad_request, policies::rpc_code::kNotBridgeable,
        text::Cat("'", method, "' cannot be bridged: the MCP server behind "
                  "the gateway speaks only ", BackendRevisionsText("")),
        {}};
    co_return co_await Refuse(request, client, unbridgeable, accounting,
                              outcome::kRefused);
  }

  const nlohmann::json initialize = InitializeFor(message);
  auto init = co_await PostToInstance(initialize, "", "", lease,
                                      *connections_, options_.limits);
  const nlohmann::json initialize_id = std::string(kInitializeId);
  const auto init_answer = AnswerFor(initialize_id, init.messages, init.failure);
  const auto init_result = init_answer.find("result");
  if (init_result == init_answer.end() || !init_result->is_object()) {
    lease.CountError();
    accounting.backend_seconds =
        Seconds(clock_.Now() - backend_start);
    const ErrorReply refused{
        http::status::bad_gateway, policies::rpc_code::kBackendFailed,
        text::Cat("the MCP server behind the gateway (",
                  BackendRevisionsText(""),
                  ") refused the bridge's initialize: ",
                  ErrorMessageOf(init_answer)),
        {}};
    co_return co_await Refuse(request, client, refused, accounting,
                              outcome::kBackendError);
  }
  const std::string negotiated = StringMember(
      *init_result, "protocolVersion", kBridgedBackendRevision);

  nlohmann::json answer;
  if (route == BridgeRoute::kDiscover) {
    answer = {{"jsonrpc", "2.0"},
              {"id", id},
              {"result", DiscoverResult(*init_result)}};
  } else {
    const nlohmann::json initialized = {
        {"jsonrpc", "2.0"}, {"method", "notifications/initialized"}};
    const auto acknowledged =
        co_await PostToInstance(initialized, negotiated, init.backend_session,
                                lease, *connections_, options_.limits);
    (void)acknowledged;  // the request's own answer tells what went wrong
    const nlohmann::json legacy = LegacyRequest(message);
    const auto reply = co_await PostToInstance(
        legacy, negotiated, init.backend_session, lease, *connections_,
        options_.limits);
    answer = AnswerFor(id, reply.messages, reply.failure);
    if (HasServerRequest(reply.messages) && !answer.contains("result")) {
      answer = JsonRpcErrorObject(
          id, policies::rpc_code::kNotBridgeable,
          text::Cat("the MCP server behind the gateway asked the client "
                    "something (a server-to-client request), which cannot "
                    "be bridged to 2026-07-28: it speaks only ",
                    BackendRevisionsText(negotiated)));
    }
    if (reply.failure && reply.status == 0) lease.CountError();
    answer = StatelessAnswer(method, std::move(answer));
  }
  if (!init.backend_session.empty()) {
    co_await EndBackendSession(lease, init.backend_session, negotiated);
  }
  accounting.backend_seconds =
      Seconds(clock_.Now() - backend_start);
  accounting.outcome = outcome::kOk;
  Response response = MakeJsonResponse(http::status::ok, answer,
                                       request.version(), KeepAlive(request));
  co_return co_await Answer(request, client, std::move(response), accounting);
}

}  // namespace mcpgw::gateway
