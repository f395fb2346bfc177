#include "gateway/admin_handler.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/jsonrpc_error.h"

namespace mcpgw::gateway {
namespace {

constexpr std::chrono::seconds kWriteTimeout{30};

std::string Iso8601(std::chrono::system_clock::time_point time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time),
                          absl::UTCTimeZone());
}

nlohmann::json AdminError(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace

nlohmann::json InstanceToJson(const runtime::InstanceSnapshot& instance) {
  nlohmann::json json = {
      {"id", instance.id},
      {"key_prefix", instance.key_prefix},
      {"target", instance.redacted_target},
      {"runtime", instance.runtime},
      {"state", runtime::ToString(instance.state)},
      {"pid", instance.pid ? nlohmann::json(*instance.pid) : nullptr},
      {"port", instance.port},
      {"started_at", Iso8601(instance.started_at)},
      {"ready_at",
       instance.ready_at ? nlohmann::json(Iso8601(*instance.ready_at))
                         : nullptr},
      {"last_used_at", Iso8601(instance.last_used_at)},
      {"in_flight", instance.in_flight},
      {"open_streams", instance.open_streams},
      {"requests", instance.requests},
  };
  // Container runtimes only.
  if (instance.container_id) json["container_id"] = *instance.container_id;
  if (instance.image) json["image"] = *instance.image;
  return json;
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

asio::awaitable<bool> AdminHandler::Handle(Request request,
                                           beast::tcp_stream& stream) {
  const bool keep_alive = request.keep_alive();
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool is_get = request.method() == http::verb::get;

  http::status status = http::status::ok;
  nlohmann::json body;
  if (path == "/healthz") {
    body = {{"status", "ok"}};
  } else if (path == "/admin/instances") {
    body["instances"] = nlohmann::json::array();
    for (const auto& instance : pool_.Snapshot()) {
      body["instances"].push_back(InstanceToJson(instance));
    }
  } else if (path == "/admin/warm-pool") {
    if (warm_pool_ != nullptr) {
      body = WarmPoolToJson(warm_pool_->Stats());
    } else {
      body = {{"state", "off"}, {"size", 0}};
    }
  } else {
    status = http::status::not_found;
    body = AdminError("not_found", "no such admin endpoint");
  }
  if (status == http::status::ok && !is_get) {
    status = http::status::method_not_allowed;
    body = AdminError("method_not_allowed", "only GET is supported here");
  }
  Response response =
      MakeJsonResponse(status, body, request.version(), keep_alive);
  const bool written =
      co_await WriteResponse(stream, std::move(response), kWriteTimeout);
  co_return written && keep_alive;
}

}  // namespace mcpgw::gateway
