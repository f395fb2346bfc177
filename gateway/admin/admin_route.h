#pragma once
// What the admin listener does with a request, decided before any I/O:
// which endpoint, whether the caller presented the admin token, and the
// filters of an instance listing. Pure: no pool, no sockets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/http/http_types.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

enum class AdminEndpoint {
  kHealthz,         // GET /healthz        (no token)
  kReadyz,          // GET /readyz         (no token)
  kMetrics,         // GET /metrics
  kListInstances,   // GET /admin/instances?tenant=&state=&runtime=
  kGetInstance,     // GET /admin/instances/{id}
  kDrainInstance,   // POST /admin/instances/{id}/drain
  kDeleteInstance,  // DELETE /admin/instances/{id}
  kInstanceLogs,    // GET /admin/instances/{id}/logs
  kSessions,        // GET /admin/sessions
  kConfig,          // GET /admin/config
  kScaling,         // GET /admin/scaling
  kWarmPool,        // GET /admin/warm-pool
  kTenants,         // /admin/tenants... (gateway/admin/tenant_admin.h)
  kConsoleFeed,     // GET /admin/feed: the console's live SSE feed
  kConsoleAsset,    // GET /console, /console/... (no token: static files,
                    // no data; the page asks for the token itself)
};

struct InstanceFilter {
  std::optional<std::string> tenant;
  std::optional<std::string> state;  // starting | ready | draining | stopping
  std::optional<std::string> runtime;
};

// The tenant API's calls (gateway/admin/tenant_admin.h carries them out).
enum class TenantAction {
  kList,          // GET       /admin/tenants
  kCreate,        // POST      /admin/tenants
  kGet,           // GET       /admin/tenants/{id}
  kUpdate,        // PATCH|PUT /admin/tenants/{id}
  kDelete,        // DELETE    /admin/tenants/{id}
  kPutSource,     // PUT       /admin/tenants/{id}/sources/{source}
  kDeleteSource,  // DELETE    /admin/tenants/{id}/sources/{source}
  kIssueToken,    // POST      /admin/tenants/{id}/tokens
  kRevokeToken,   // DELETE    /admin/tenants/{id}/tokens/{token id}
};

struct TenantCall {
  TenantAction action = TenantAction::kList;
  std::string tenant = {};  // all but kList and kCreate
  std::string item = {};    // kPutSource, kDeleteSource: the source; kRevokeToken: the token id
};

// kList and kGet: all that tenants declared elsewhere (Kubernetes) allow.
bool IsTenantRead(TenantAction action);

struct AdminCall {
  AdminEndpoint endpoint;
  std::string instance_id;  // the {id} endpoints
  InstanceFilter filter;    // kListInstances
  std::string path = {};    // kConsoleAsset: the file under /console/ ("" for
                            // the page)
  TenantCall tenant = {};   // kTenants
};

// An admin error: {"error":{"code":...,"message":...}} with this status.
struct AdminError {
  http::status status;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

using AdminRoute = std::variant<AdminCall, AdminError>;

// `authorization`: the request's Authorization header, if any.
AdminRoute DecideAdminRoute(http::verb method, std::string_view target,
                            std::optional<std::string_view> authorization,
                            std::string_view admin_token);

// Compares in time that depends only on the lengths, never on where the
// first difference is.
bool TokensEqual(std::string_view presented, std::string_view expected);

// The state an operator sees: "draining" for a ready instance being drained.
std::string_view VisibleState(const runtime::InstanceSnapshot& instance);

bool MatchesFilter(const runtime::InstanceSnapshot& instance,
                   const InstanceFilter& filter);

}  // namespace mcpgw::gateway
