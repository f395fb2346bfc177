#include "gateway/mcp/mcp_route.h"

#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {
namespace {

// `challenge`: the OAuth listener's Bearer challenge, else empty.
ErrorReply FromRefusal(const policies::Refusal& refusal,
                       std::string challenge = {}) {
  ErrorReply reply{static_cast<http::status>(refusal.http_status),
                   refusal.rpc_code, refusal.message, {}};
  if (!challenge.empty() &&
      (refusal.http_status == 401 || !refusal.oauth_error.empty())) {
    reply.extra_headers.emplace_back("WWW-Authenticate", std::move(challenge));
  } else if (refusal.http_status == 401) {
    reply.extra_headers.emplace_back("WWW-Authenticate",
                                     "Bearer realm=\"mcp-gateway\"");
  }
  return reply;
}

// What browser clients may send and read (MCP over CORS).
constexpr std::string_view kCorsAllowHeaders =
    "Authorization, Content-Type, Accept, Mcp-Session-Id, "
    "Mcp-Protocol-Version, Last-Event-ID";
constexpr std::string_view kCorsExposeHeaders =
    "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate";

// The value of `name` in a query string, percent-decoding left out: the
// gateway's own session ids are plain hex.
std::optional<std::string_view> QueryParameter(std::string_view query,
                                               std::string_view name) {
  for (auto pair : text::SplitList(query, '&')) {
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view()
                                              : pair.substr(equals + 1);
    }
  }
  return std::nullopt;
}


ErrorReply MethodNotAllowed(std::string_view path, std::string_view allow) {
  return ErrorReply{http::status::method_not_allowed,
                    policies::rpc_code::kInvalidRequest,
                    text::Cat("method not allowed on ", path, " (use ",
                              allow, ")"),
                    {{"Allow", std::string(allow)}}};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const Request& request) {
  auto origin = FindHeader(request, http::field::origin);
  if (!origin) return {};
  return {{"Access-Control-Allow-Origin", std::string(*origin)},
          {"Vary", "Origin"},
          {"Access-Control-Expose-Headers", std::string(kCorsExposeHeaders)}};
}

McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::TargetPolicy& policy) {
  return DecideMcpRoute(request, key_secret, policies::OriginPolicy{}, policy);
}

McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::OriginPolicy& origin_policy,
                        const policies::TargetPolicy& policy) {
  return DecideMcpRoute(request, key_secret, origin_policy, policy, nullptr);
}

McpRoute DecideMcpRoute(const Request& request, std::string_view key_secret,
                        const policies::OriginPolicy& origin_policy,
                        const policies::TargetPolicy& policy,
                        const PostBody* post_body,
                        const OAuthResource* oauth) {
  const std::string_view target = request.target();
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos
                                     ? std::string_view()
                                     : target.substr(question + 1);

  if (path == "/healthz" && request.method() == http::verb::get) {
    return HealthCheck{};
  }
  std::string base_url;
  if (oauth != nullptr) {
    base_url = RequestBaseUrl(request, *oauth);
    if (base_url.empty()) {
      return ErrorReply{http::status::bad_request,
                        policies::rpc_code::kInvalidRequest,
                        "the request's Host header is missing or not a host "
                        "name",
                        {}};
    }
    if (IsResourceMetadataPath(path) && request.method() == http::verb::get) {
      // Public, and read by browser clients of any origin.
      return OwnAnswer{http::status::ok, ResourceMetadata(base_url, *oauth),
                       {{"Access-Control-Allow-Origin", "*"},
                        {"Cache-Control", "max-age=300"}}};
    }
    if (request.method() == http::verb::options &&
        (path == kMcpPath || IsResourceMetadataPath(path))) {
      if (auto refusal = policies::CheckHostAndOrigin(
              FindHeader(request, http::field::host),
              FindHeader(request, http::field::origin), origin_policy)) {
        return FromRefusal(*refusal);
      }
      auto headers = CorsHeaders(request);
      headers.emplace_back("Access-Control-Allow-Methods",
                           "GET, POST, DELETE, OPTIONS");
      headers.emplace_back("Access-Control-Allow-Headers",
                           std::string(kCorsAllowHeaders));
      headers.emplace_back("Access-Control-Max-Age", "600");
      return OwnAnswer{http::status::no_content, nullptr, std::move(headers)};
    }
  }
  ProxyTo proxy;
  const auto method = request.method();
  if (path == kMcpPath) {
    if (method != http::verb::post && method != http::verb::get &&
        method != http::verb::delete_) {
      return MethodNotAllowed(path, "GET, POST, DELETE");
    }
  } else if (path == kLegacySsePath) {
    if (method != http::verb::get) return MethodNotAllowed(path, "GET");
    proxy.endpoint = McpEndpoint::kLegacyStream;
  } else if (path == kLegacyMessagesPath) {
    if (method != http::verb::post) return MethodNotAllowed(path, "POST");
    proxy.endpoint = McpEndpoint::kLegacyMessage;
  } else {
    return ErrorReply{http::status::not_found,
                      policies::rpc_code::kInvalidRequest,
                      text::Cat("no such endpoint; the MCP endpoint is ",
                                kMcpPath, " (", kLegacySsePath,
                                " for the 2024-11-05 HTTP+SSE transport)"),
                      {}};
  }
  if (auto refusal = policies::CheckHostAndOrigin(
          FindHeader(request, http::field::host),
          FindHeader(request, http::field::origin), origin_policy)) {
    return FromRefusal(*refusal);
  }
  if (proxy.endpoint == McpEndpoint::kLegacyMessage) {
    const auto session = QueryParameter(query, "sessionId");
    if (!session || session->empty()) {
      return ErrorReply{http::status::bad_request,
                        policies::rpc_code::kInvalidRequest,
                        "POST /messages needs ?sessionId= (from the endpoint "
                        "event of GET /sse)",
                        {}};
    }
    proxy.legacy_session = std::string(*session);
  }
  policies::RequestCredentials credentials;
  credentials.query = query;
  // One walk over the fields for both (Beast's equal_range looked each
  // name up in its tree, case-blind, ~580 instructions the two, issue 19).
  for (const auto& field : request.base()) {
    if (field.name() == http::field::authorization) {
      if (!credentials.authorization) credentials.authorization = field.value();
      ++credentials.authorization_count;
    } else if (text::EqualsIgnoreCase(field.name_string(), policies::kDsnHeader)) {
      if (!credentials.dsn_header) credentials.dsn_header = field.value();
      ++credentials.dsn_header_count;
    }
  }
  const std::string resource_url =
      oauth != nullptr ? McpResourceUrl(base_url) : std::string();
  credentials.resource_url = resource_url;
  auto decision = policies::ResolveTarget(credentials, key_secret, policy);
  if (auto* refusal = std::get_if<policies::Refusal>(&decision)) {
    return FromRefusal(*refusal, oauth != nullptr
                                     ? BearerChallenge(base_url, *oauth, *refusal)
                                     : std::string());
  }
  // The 2024-11-05 transport's POST /messages answers a body that is not
  // JSON itself (on the request, not on the stream).
  if (method == http::verb::post &&
      proxy.endpoint == McpEndpoint::kStreamableHttp) {
    auto bad_body = post_body != nullptr ? CheckPostBody(*post_body)
                                         : CheckJsonRpcBody(request.body());
    if (bad_body) return *bad_body;
  }
  proxy.target = std::get<policies::Target>(std::move(decision));
  return proxy;
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
