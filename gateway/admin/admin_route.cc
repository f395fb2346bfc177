#include "gateway/admin/admin_route.h"

#include <openssl/crypto.h>


#include "common/text.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kInstancesPrefix = "/admin/instances/";
constexpr std::string_view kTenantsRoot = "/admin/tenants";
constexpr std::size_t kMaxIdLength = 128;

AdminError Error(http::status status, std::string code, std::string message) {
  return AdminError{status, std::move(code), std::move(message), {}};
}

AdminError MethodNotAllowed(std::string_view allow) {
  AdminError error = Error(http::status::method_not_allowed,
                           "method_not_allowed",
                           text::Cat("use ", allow, " on this endpoint"));
  error.extra_headers.emplace_back("Allow", std::string(allow));
  return error;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding; nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int hi = HexDigit(text[i + 1]);
      const int lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool ValidState(std::string_view state) {
  return state == "starting" || state == "ready" || state == "draining" ||
         state == "stopping";
}

// Parses ?tenant=&state=&runtime=; anything else is a caller's mistake.
std::variant<InstanceFilter, AdminError> ParseFilter(std::string_view query) {
  InstanceFilter filter;
  if (query.empty()) return filter;
  for (std::string_view rest = query; !rest.empty();) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view()
                                         : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      return Error(http::status::bad_request, "bad_request",
                   "the query string is malformed");
    }
    if (*key == "tenant") {
      filter.tenant = *value;
    } else if (*key == "state") {
      if (!ValidState(*value)) {
        return Error(http::status::bad_request, "bad_request",
                     "state must be starting, ready, draining or stopping");
      }
      filter.state = *value;
    } else if (*key == "runtime") {
      filter.runtime = *value;
    } else {
      return Error(http::status::bad_request, "bad_request",
                   text::Cat("unknown filter '", *key,
                             "' (use tenant, state, runtime)"));
    }
  }
  return filter;
}

std::optional<AdminError> CheckToken(
    std::optional<std::string_view> authorization, std::string_view token) {
  AdminError refused = Error(http::status::unauthorized, "unauthorized",
                             "send the admin token as Authorization: Bearer "
                             "<token> (see --admin-token-file)");
  refused.extra_headers.emplace_back("WWW-Authenticate",
                                     "Bearer realm=\"mcp-gateway-admin\"");
  if (!authorization.has_value()) return refused;
  constexpr std::string_view kBearer = "bearer ";
  std::string_view value = text::StripWhitespace(*authorization);
  if (value.size() <= kBearer.size() ||
      !text::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return refused;
  }
  value = text::StripWhitespace(value.substr(kBearer.size()));
  if (token.empty() || !TokensEqual(value, token)) {
    refused.message = "the admin token is wrong";
    return refused;
  }
  return std::nullopt;
}

// The tenant API's path after /admin/tenants, split on '/' (empty pieces
// dropped, as before: "/admin/tenants/" lists).
std::variant<TenantCall, AdminError> DecideTenantCall(http::verb method,
                                                      std::string_view rest) {
  std::vector<std::string> segments;
  for (auto piece : text::SplitList(rest, '/')) segments.emplace_back(piece);
  const auto is = [method](http::verb verb) { return method == verb; };
  using enum TenantAction;
  if (segments.empty()) {
    if (is(http::verb::get)) return TenantCall{kList};
    if (is(http::verb::post)) return TenantCall{kCreate};
    return MethodNotAllowed("GET, POST");
  }
  std::string& id = segments[0];
  if (segments.size() == 1) {
    if (is(http::verb::get)) return TenantCall{kGet, std::move(id)};
    if (is(http::verb::patch) || is(http::verb::put)) {
      return TenantCall{kUpdate, std::move(id)};
    }
    if (is(http::verb::delete_)) return TenantCall{kDelete, std::move(id)};
    return MethodNotAllowed("GET, PATCH, PUT, DELETE");
  }
  const std::string& collection = segments[1];
  if (collection == "sources" && segments.size() == 3) {
    if (is(http::verb::put)) return TenantCall{kPutSource, std::move(id), segments[2]};
    if (is(http::verb::delete_)) {
      return TenantCall{kDeleteSource, std::move(id), segments[2]};
    }
    return MethodNotAllowed("PUT, DELETE");
  }
  if (collection == "tokens" && segments.size() == 2) {
    if (is(http::verb::post)) return TenantCall{kIssueToken, std::move(id)};
    return MethodNotAllowed("POST");
  }
  if (collection == "tokens" && segments.size() == 3) {
    if (is(http::verb::delete_)) {
      return TenantCall{kRevokeToken, std::move(id), segments[2]};
    }
    return MethodNotAllowed("DELETE");
  }
  return Error(http::status::not_found, "not_found", "no such tenant endpoint");
}

}  // namespace

bool TokensEqual(std::string_view presented, std::string_view expected) {
  if (presented.size() != expected.size()) return false;
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string_view VisibleState(const runtime::InstanceSnapshot& instance) {
  if (instance.draining && instance.state != runtime::InstanceState::kStopping) {
    return "draining";
  }
  return runtime::ToString(instance.state);
}

bool MatchesFilter(const runtime::InstanceSnapshot& instance,
                   const InstanceFilter& filter) {
  // Tenants come with the tenant registry; until then every instance has
  // the empty tenant.
  if (filter.tenant.has_value() && !filter.tenant->empty()) return false;
  if (filter.state.has_value() && *filter.state != VisibleState(instance)) {
    return false;
  }
  if (filter.runtime.has_value() && *filter.runtime != instance.runtime) {
    return false;
  }
  return true;
}

bool IsTenantRead(TenantAction action) {
  return action == TenantAction::kList || action == TenantAction::kGet;
}

AdminRoute DecideAdminRoute(http::verb method, std::string_view target,
                            std::optional<std::string_view> authorization,
                            std::string_view admin_token) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos
                                     ? std::string_view()
                                     : target.substr(question + 1);
  const bool get = method == http::verb::get;

  if (path == "/healthz" || path == "/readyz") {
    if (!get) return MethodNotAllowed("GET");
    return AdminCall{path == "/healthz" ? AdminEndpoint::kHealthz
                                        : AdminEndpoint::kReadyz,
                     {}, {}};
  }
  if (path == "/console" || path == "/console/" ||
      path.starts_with("/console/")) {
    if (!get) return MethodNotAllowed("GET");
    const std::string_view file =
        path.size() > 9 ? path.substr(9) : std::string_view();  // "/console/"
    return AdminCall{AdminEndpoint::kConsoleAsset, {}, {}, std::string(file)};
  }
  // Everything else needs the token, checked before the path so that a
  // caller without it learns nothing about what exists.
  if (auto refused = CheckToken(authorization, admin_token)) return *refused;

  struct Fixed {
    std::string_view path;
    AdminEndpoint endpoint;
  };
  for (const Fixed& fixed : {Fixed{"/metrics", AdminEndpoint::kMetrics},
                             Fixed{"/admin/sessions", AdminEndpoint::kSessions},
                             Fixed{"/admin/config", AdminEndpoint::kConfig},
                             Fixed{"/admin/scaling", AdminEndpoint::kScaling},
                             Fixed{"/admin/warm-pool", AdminEndpoint::kWarmPool},
                             Fixed{"/admin/feed", AdminEndpoint::kConsoleFeed}}) {
    if (path == fixed.path) {
      if (!get) return MethodNotAllowed("GET");
      return AdminCall{fixed.endpoint, {}, {}};
    }
  }
  if (path == kTenantsRoot || path.starts_with(text::Cat(kTenantsRoot, "/"))) {
    auto call = DecideTenantCall(method, path.substr(kTenantsRoot.size()));
    if (auto* error = std::get_if<AdminError>(&call)) return *error;
    return AdminCall{AdminEndpoint::kTenants, {}, {}, {},
                     std::get<TenantCall>(std::move(call))};
  }
  if (path == "/admin/instances") {
    if (!get) return MethodNotAllowed("GET");
    auto filter = ParseFilter(query);
    if (auto* error = std::get_if<AdminError>(&filter)) return *error;
    return AdminCall{AdminEndpoint::kListInstances, {},
                     std::get<InstanceFilter>(std::move(filter))};
  }
  if (path.starts_with(kInstancesPrefix)) {
    std::string_view rest = path.substr(kInstancesPrefix.size());
    const auto slash = rest.find('/');
    const std::string_view id = rest.substr(0, slash);
    const std::string_view action =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (!ValidId(id)) {
      return Error(http::status::not_found, "not_found", "no such instance");
    }
    if (action.empty()) {
      if (method == http::verb::get) {
        return AdminCall{AdminEndpoint::kGetInstance, std::string(id), {}};
      }
      if (method == http::verb::delete_) {
        return AdminCall{AdminEndpoint::kDeleteInstance, std::string(id), {}};
      }
      return MethodNotAllowed("GET, DELETE");
    }
    if (action == "/drain") {
      if (method != http::verb::post) return MethodNotAllowed("POST");
      return AdminCall{AdminEndpoint::kDrainInstance, std::string(id), {}};
    }
    if (action == "/logs") {
      if (!get) return MethodNotAllowed("GET");
      return AdminCall{AdminEndpoint::kInstanceLogs, std::string(id), {}};
    }
  }
  return Error(http::status::not_found, "not_found", "no such admin endpoint");
}

}  // namespace mcpgw::gateway
