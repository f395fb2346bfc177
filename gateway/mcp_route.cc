#include "gateway/mcp_route.h"

#include "absl/strings/str_cat.h"
#include "gateway/jsonrpc_body.h"
#include "policies/text.h"

namespace mcpgw::gateway {
namespace {

ErrorReply FromRefusal(const policies::Refusal& refusal) {
  ErrorReply reply{static_cast<http::status>(refusal.http_status),
                   refusal.rpc_code, refusal.message, {}};
  if (refusal.http_status == 401) {
    reply.extra_headers.emplace_back("WWW-Authenticate",
                                     "Bearer realm=\"mcp-gateway\"");
  }
  return reply;
}

}  // namespace

McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret) {
  const std::string_view target = request.target();
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos
                                     ? std::string_view()
                                     : target.substr(question + 1);

  if (path == "/healthz" && request.method() == http::verb::get) {
    return HealthCheck{};
  }
  if (path != kMcpPath) {
    return ErrorReply{http::status::not_found,
                      policies::rpc_code::kInvalidRequest,
                      text::Cat("no such endpoint; the MCP endpoint is ",
                                   kMcpPath),
                      {}};
  }
  const auto method = request.method();
  if (method != http::verb::post && method != http::verb::get &&
      method != http::verb::delete_) {
    return ErrorReply{http::status::method_not_allowed,
                      policies::rpc_code::kInvalidRequest,
                      "method not allowed on /mcp (use POST, GET or DELETE)",
                      {{"Allow", "GET, POST, DELETE"}}};
  }
  policies::RequestCredentials credentials;
  credentials.query = query;
  auto [first, last] = request.base().equal_range(policies::kDsnHeader);
  for (auto it = first; it != last; ++it) {
    if (!credentials.dsn_header) credentials.dsn_header = it->value();
    ++credentials.dsn_header_count;
  }
  auto decision = policies::ResolveTarget(credentials, key_secret);
  if (auto* refusal = std::get_if<policies::Refusal>(&decision)) {
    return FromRefusal(*refusal);
  }
  if (method == http::verb::post) {
    if (auto bad_body = CheckJsonRpcBody(request.body())) return *bad_body;
  }
  return ProxyTo{std::get<policies::Target>(std::move(decision))};
}

ErrorReply AcquireFailureReply(const absl::Status& status) {
  if (absl::IsResourceExhausted(status)) {
    return ErrorReply{http::status::service_unavailable,
                      policies::rpc_code::kNoCapacity,
                      std::string(status.message()),
                      {{"Retry-After", "1"}}};
  }
  if (absl::IsAborted(status)) {
    return ErrorReply{http::status::service_unavailable,
                      policies::rpc_code::kShuttingDown,
                      std::string(status.message()),
                      {{"Retry-After", "1"}}};
  }
  return ErrorReply{http::status::bad_gateway,
                    policies::rpc_code::kBackendStartFailed,
                    std::string(status.message()),
                    {}};
}

}  // namespace mcpgw::gateway
