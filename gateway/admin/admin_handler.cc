#include "gateway/admin/admin_handler.h"

#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/admin/admin_route.h"
#include "gateway/admin/console_stream.h"
#include "gateway/http/blocking_work.h"
#include "gateway/mcp/jsonrpc_error.h"

namespace mcpgw::gateway {
namespace {

constexpr std::chrono::seconds kWriteTimeout{30};

std::string Iso8601(std::chrono::system_clock::time_point time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time),
                          absl::UTCTimeZone());
}

nlohmann::json ErrorJson(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

// Whether an endpoint's answer may block: it reads /proc (instance memory),
// asks an engine or cluster for logs, checks files, or reads and writes the
// tenant registry (SQLite). Those are answered on the blocking pool.
bool MayBlock(AdminEndpoint endpoint) {
  switch (endpoint) {
    case AdminEndpoint::kReadyz:
    case AdminEndpoint::kListInstances:
    case AdminEndpoint::kGetInstance:
    case AdminEndpoint::kDrainInstance:
    case AdminEndpoint::kDeleteInstance:
    case AdminEndpoint::kInstanceLogs:
    case AdminEndpoint::kTenants:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct AdminHandler::Answer {
  http::status status = http::status::ok;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for /metrics: a text body instead of JSON.
  std::optional<std::string> text;
};

namespace {

using Answer = AdminHandler::Answer;

Answer FromError(const AdminError& error) {
  return Answer{error.status, ErrorJson(error.code, error.message),
                error.extra_headers, std::nullopt};
}

Answer NotFound(const std::string& id) {
  return Answer{http::status::not_found,
                ErrorJson("not_found", "no instance " + id), {}, std::nullopt};
}

}  // namespace

nlohmann::json InstanceToJson(const runtime::InstanceSnapshot& instance) {
  // Memory and the runtime's own facts come from the instance itself
  // (process: RSS from /proc; a container's pid is its init's, so none).
  const auto& memory = instance.memory_bytes;
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [name, value] : instance.details) details[name] = value;
  return {
      {"id", instance.id},
      {"key_prefix", instance.key_prefix},
      {"target", instance.redacted_target},
      {"tenant", nullptr},  // tenants come with the tenant registry
      {"runtime", instance.runtime},
      {"state", VisibleState(instance)},
      {"pid", instance.pid ? nlohmann::json(*instance.pid) : nullptr},
      {"container_id", instance.container_id
                           ? nlohmann::json(*instance.container_id)
                           : nullptr},  // the process runtime has none
      {"image", instance.image ? nlohmann::json(*instance.image) : nullptr},
      {"port", instance.port},
      {"started_at", Iso8601(instance.started_at)},
      {"ready_at",
       instance.ready_at ? nlohmann::json(Iso8601(*instance.ready_at))
                         : nullptr},
      {"last_used_at", Iso8601(instance.last_used_at)},
      {"in_flight", instance.in_flight},
      {"open_streams", instance.open_streams},
      {"requests", instance.requests},
      {"errors", instance.errors},
      {"memory_bytes", memory ? nlohmann::json(*memory) : nullptr},
      {"details", std::move(details)},
  };
}

nlohmann::json WarmPoolToJson(const runtime::WarmPoolStats& stats) {
  auto millis = [](const std::optional<std::chrono::milliseconds>& value) {
    return value ? nlohmann::json(value->count()) : nlohmann::json(nullptr);
  };
  return {
      {"state", runtime::ToString(stats.state)},
      {"reason", stats.reason.empty() ? nlohmann::json(nullptr)
                                      : nlohmann::json(stats.reason)},
      {"size", stats.size},
      {"idle", stats.idle},
      {"warming", stats.warming},
      {"hits", stats.hits},
      {"misses", stats.misses},
      {"spawned", stats.spawned},
      {"replaced", stats.replaced},
      {"last_refill_ms", millis(stats.last_refill)},
      {"mean_refill_ms", millis(stats.mean_refill)},
      {"idle_pids", stats.idle_pids},
      {"dbhub_version", stats.dbhub_version.empty()
                            ? nlohmann::json(nullptr)
                            : nlohmann::json(stats.dbhub_version)},
  };
}

nlohmann::json ScalingToJson(const runtime::PoolStats& stats,
                             double target_utilisation) {
  const int live = stats.starting + stats.ready + stats.draining;
  const double capacity = std::max(1, stats.max_instances);
  const double utilisation = live / capacity;
  const double target = target_utilisation > 0 ? target_utilisation : 1.0;
  const int recommended =
      std::max(1, static_cast<int>(std::ceil(utilisation / target - 1e-9)));
  return {
      {"instances", live},
      {"ready", stats.ready},
      {"pending_spawns", stats.starting},
      {"draining", stats.draining},
      {"in_flight", stats.in_flight},
      {"open_streams", stats.open_streams},
      {"max_instances", stats.max_instances},
      {"utilisation", utilisation},
      {"target_utilisation", target},
      {"recommended_replicas", recommended},
  };
}

nlohmann::json AdminHandler::InstancesJson(const InstanceFilter& filter) const {
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, TenantAdmin::TenantRevision, std::less<>> tenants;
  if (options_.tenants != nullptr) tenants = options_.tenants->KeyPrefixTenants();
  for (const auto& instance : pool_.Snapshot()) {
    std::optional<std::string> tenant;
    std::optional<std::int64_t> revision;
    if (auto it = tenants.find(instance.key_prefix); it != tenants.end()) {
      tenant = it->second.tenant;
      revision = it->second.revision;
    }
    if (filter.tenant && !filter.tenant->empty()) {
      if (tenant != filter.tenant) continue;
      auto unfiltered = filter;
      unfiltered.tenant.reset();
      if (!MatchesFilter(instance, unfiltered)) continue;
    } else if (!MatchesFilter(instance, filter)) {
      continue;
    }
    auto json = InstanceToJson(instance);
    if (tenant) json["tenant"] = *tenant;
    if (revision) json["tenant_revision"] = *revision;
    list.push_back(std::move(json));
  }
  return list;
}

AdminHandler::Answer AdminHandler::AnswerCall(const AdminCall& call,
                                              const Request& request) {
  Answer answer;
  switch (call.endpoint) {
    case AdminEndpoint::kHealthz:
      answer.body = {{"status", "ok"}};
      break;
    case AdminEndpoint::kReadyz: {
      const absl::Status ready =
          options_.readiness ? options_.readiness() : absl::OkStatus();
      if (ready.ok()) {
        answer.body = {{"status", "ready"}};
      } else {
        answer.status = http::status::service_unavailable;
        answer.body = ErrorJson("not_ready", std::string(ready.message()));
      }
      break;
    }
    case AdminEndpoint::kMetrics:
      answer.text = metrics_.Render();
      break;
    case AdminEndpoint::kListInstances:
      answer.body["instances"] = InstancesJson(call.filter);
      break;
    case AdminEndpoint::kGetInstance:
      if (auto snap = pool_.SnapshotOf(call.instance_id)) {
        answer.body = InstanceToJson(*snap);
      } else {
        answer = NotFound(call.instance_id);
      }
      break;
    case AdminEndpoint::kDrainInstance:
    case AdminEndpoint::kDeleteInstance: {
      const bool drain = call.endpoint == AdminEndpoint::kDrainInstance;
      const absl::Status status = drain ? pool_.Drain(call.instance_id)
                                        : pool_.StopInstance(call.instance_id);
      if (absl::IsNotFound(status)) {
        answer = NotFound(call.instance_id);
        break;
      }
      spdlog::info("admin: {} instance {}", drain ? "drain" : "delete",
                   call.instance_id);
      // Accepted: the stop itself completes asynchronously.
      answer.status = http::status::accepted;
      auto snap = pool_.SnapshotOf(call.instance_id);
      answer.body = snap ? InstanceToJson(*snap)
                         : nlohmann::json{{"id", call.instance_id},
                                          {"state", "stopped"}};
      break;
    }
    case AdminEndpoint::kInstanceLogs:
      if (auto output = pool_.RecentOutput(call.instance_id)) {
        answer.body = {{"id", call.instance_id}, {"output", *output}};
      } else {
        answer = NotFound(call.instance_id);
      }
      break;
    case AdminEndpoint::kSessions:
      answer.body = options_.sessions ? options_.sessions()
                                      : nlohmann::json::object();
      break;
    case AdminEndpoint::kConfig:
      answer.body = options_.config;
      break;
    case AdminEndpoint::kScaling:
      answer.body =
          ScalingToJson(pool_.Stats(), options_.target_utilisation);
      break;
    case AdminEndpoint::kTenants:
      if (options_.tenants == nullptr) {
        answer = Answer{http::status::not_found,
                        ErrorJson("not_found", "tenants are not enabled"),
                        {}, std::nullopt};
      } else {
        auto result = options_.tenants->Handle(call.tenant, request.body());
        answer = Answer{result.status, std::move(result.body),
                        std::move(result.headers), std::nullopt};
      }
      break;
    case AdminEndpoint::kConsoleAsset:  // here only without the files
      answer = Answer{http::status::not_found,
                      ErrorJson("not_found",
                                "the console is not installed (build it "
                                "with deploy/setup.sh install, or pass "
                                "--console-dir)"),
                      {}, std::nullopt};
      break;
    case AdminEndpoint::kConsoleFeed:  // here only when it is full or off
      if (options_.feed == nullptr) {
        answer = Answer{http::status::not_found,
                        ErrorJson("not_found", "the console feed is off"),
                        {}, std::nullopt};
      } else {
        answer = Answer{http::status::service_unavailable,
                        ErrorJson("too_many_feeds",
                                  "every console feed slot is taken ("
                                  "at most " +
                                      std::to_string(ConsoleFeed::kMaxClients) +
                                      " at once); close a console and retry"),
                        {{"Retry-After", "5"}}, std::nullopt};
      }
      break;
    case AdminEndpoint::kWarmPool:
      if (options_.warm_pool) {
        answer.body = WarmPoolToJson(options_.warm_pool());
      } else {
        answer.body = {{"state", "off"}, {"size", 0}};
      }
      break;
  }
  return answer;
}

asio::awaitable<nlohmann::json> AdminHandler::AllInstancesJsonOffIo() {
  co_return co_await RunBlocking(blocking_, [this] { return InstancesJson({}); });
}

asio::awaitable<bool> AdminHandler::Handle(Request request,
                                           beast::tcp_stream& stream,
                                           ConnectionTail& tail) {
  const bool keep_alive = KeepAlive(request);
  std::optional<std::string_view> authorization;
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    authorization = it->value();
  }
  auto route = DecideAdminRoute(request.method(), request.target(),
                                authorization, options_.admin_token);

  // The console's files are not JSON, and its feed is a stream left to the
  // connection's tail: both answer here; the rest below as JSON (and the
  // console's endpoints too when they are off or full).
  if (const auto* call = std::get_if<AdminCall>(&route)) {
    if (call->endpoint == AdminEndpoint::kConsoleAsset &&
        options_.console != nullptr) {
      co_return co_await WriteResponse(
          stream,
          options_.console->Serve(call->path, request.version(), keep_alive),
          kWriteTimeout) &&
          keep_alive;
    }
    if (call->endpoint == AdminEndpoint::kConsoleFeed &&
        options_.feed != nullptr) {
      if (auto client = options_.feed->TryOpenClient()) {
        ConsoleSources sources{
            .feed = options_.feed,
            .instances = [this] { return AllInstancesJsonOffIo(); },
            .warm_pool = [this] {
              return options_.warm_pool ? WarmPoolToJson(options_.warm_pool())
                                        : nlohmann::json{{"state", "off"},
                                                         {"size", 0}};
            },
            .sessions = options_.sessions,
            .latency = [this] { return metrics_.RequestLatency(); },
        };
        tail = [version = request.version(), id = *client,
                sources = std::move(sources),
                clock = &clock_](beast::tcp_stream& client) {
          return WriteConsoleFeed(client, version, id, sources, {}, *clock);
        };
        co_return true;
      }
    }
  }

  Answer answer;
  if (auto* error = std::get_if<AdminError>(&route)) {
    answer = FromError(*error);
  } else if (const auto& call = std::get<AdminCall>(route);
             MayBlock(call.endpoint)) {
    answer = co_await RunBlocking(
        blocking_, [this, &call, &request] { return AnswerCall(call, request); });
  } else {
    answer = AnswerCall(call, request);
  }

  Response response;
  if (answer.text.has_value()) {
    response = Response(answer.status, request.version());
    response.set(http::field::content_type, kMetricsContentType);
    response.body() = std::move(*answer.text);
    response.keep_alive(keep_alive);
    response.prepare_payload();
  } else {
    response =
        MakeJsonResponse(answer.status, answer.body, request.version(), keep_alive);
  }
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  const bool written =
      co_await WriteResponse(stream, std::move(response), kWriteTimeout);
  co_return written && keep_alive;
}

}  // namespace mcpgw::gateway
