#include "runtime/docker_engine.h"

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "runtime/container_spec.h"

namespace mcpgw::runtime {
namespace {

constexpr std::chrono::milliseconds kCallTimeout{30'000};

// Typed fields of engine answers, with a fallback when absent or of another
// type: nothing an engine sends may throw.
std::string Str(const nlohmann::json& object, const char* key,
                const char* fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>()
                                               : std::string(fallback);
}
std::string Str(const nlohmann::json& object, const char* key,
                const std::string& fallback) {
  return Str(object, key, fallback.c_str());
}
bool Bool(const nlohmann::json& object, const char* key, bool fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}
int Int(const nlohmann::json& object, const char* key, int fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>()
                                                       : fallback;
}
constexpr std::size_t kMaxMessageChars = 400;

absl::Status HttpError(const char* what, const EngineResponse& response) {
  const std::string message = text::Cat(
      "container engine: ", what, ": HTTP ", response.status, ": ",
      EngineErrorMessage(response.body));
  if (response.status == 404) return absl::NotFoundError(message);
  if (response.status == 409) return absl::FailedPreconditionError(message);
  return absl::InternalError(message);
}

}  // namespace

std::string EngineErrorMessage(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("message") &&
      json["message"].is_string()) {
    return json["message"].get<std::string>();
  }
  std::string text = body.substr(0, kMaxMessageChars);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text.empty() ? "(no message)" : text;
}

DockerEngine::DockerEngine(EngineClient client) : client_(std::move(client)) {}

absl::StatusOr<EngineResponse> DockerEngine::Call(
    const std::string& method, const std::string& path,
    const std::optional<std::string>& body,
    std::chrono::milliseconds timeout) const {
  return client_.Call(method, path, body, timeout);
}

absl::Status DockerEngine::Ping() const {
  auto response = Call("GET", "/_ping", std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpError("ping", *response);
  return absl::OkStatus();
}

absl::StatusOr<std::string> DockerEngine::Create(const std::string& name,
                                                 const std::string& body,
                                                 const std::string& image) const {
  auto response = Call("POST", text::Cat("/containers/create?name=", name),
                       body, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    return absl::FailedPreconditionError(text::Cat(
        "image ", image, " is not on the container engine at ",
        address().display,
        " (pull it, or build it offline with deploy/build-dbhub-image.sh): ",
        EngineErrorMessage(response->body)));
  }
  if (response->status != 201) return HttpError("create container", *response);
  const auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (!json.is_object() || !json.contains("Id") || !json["Id"].is_string()) {
    return absl::InternalError(
        "container engine: create container: no Id in the answer");
  }
  return json["Id"].get<std::string>();
}

absl::Status DockerEngine::Start(const std::string& id) const {
  auto response = Call("POST", text::Cat("/containers/", id, "/start"),
                       std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  // 304: already started.
  if (response->status != 204 && response->status != 304) {
    return HttpError("start container", *response);
  }
  return absl::OkStatus();
}

absl::Status DockerEngine::Stop(const std::string& id,
                                std::chrono::seconds grace) const {
  auto response = Call(
      "POST", text::Cat("/containers/", id, "/stop?t=", grace.count()),
      std::nullopt, kCallTimeout + grace);
  if (!response.ok()) return response.status();
  if (response->status != 204 && response->status != 304 &&
      response->status != 404) {
    return HttpError("stop container", *response);
  }
  return absl::OkStatus();
}

absl::Status DockerEngine::Kill(const std::string& id) const {
  auto response = Call("POST", text::Cat("/containers/", id, "/kill"),
                       std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  // 409: not running any more.
  if (response->status != 204 && response->status != 404 &&
      response->status != 409) {
    return HttpError("kill container", *response);
  }
  return absl::OkStatus();
}

absl::Status DockerEngine::Remove(const std::string& id) const {
  auto response = Call("DELETE", text::Cat("/containers/", id, "?force=1&v=1"),
                       std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 204 && response->status != 404) {
    // 409 "removal already in progress" ends the same way.
    if (response->status == 409) return absl::OkStatus();
    return HttpError("remove container", *response);
  }
  return absl::OkStatus();
}

absl::Status DockerEngine::StreamContainerEvents(
    std::int64_t since, const std::function<void(const EngineEvent&)>& on_event,
    const std::function<bool()>& should_stop) const {
  // Only the type is filtered by the engine: Podman 4.3 drops every event
  // when an "event" filter is given; the action is checked here.
  const std::string path =
      text::Cat("/events?since=", since, "&filters=",
                QueryEscape(R"({"type":["container"]})"));
  return client_.Stream(
      path,
      [&on_event](std::string_view line) {
        if (auto event = ParseEngineEvent(line)) on_event(*event);
      },
      should_stop);
}

std::optional<EngineEvent> ParseEngineEvent(std::string_view line) {
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  EngineEvent event;
  event.type = Str(json, "Type", "");
  event.action = Str(json, "Action", Str(json, "status", ""));
  const auto actor = json.contains("Actor") ? json["Actor"] : nlohmann::json();
  event.id = actor.is_object() ? Str(actor, "ID", "") : "";
  if (event.id.empty()) event.id = Str(json, "id", "");
  if (event.type.empty() || event.action.empty() || event.id.empty()) {
    return std::nullopt;
  }
  if (actor.is_object() && actor.contains("Attributes") &&
      actor["Attributes"].is_object()) {
    const std::string code = Str(actor["Attributes"], "exitCode", "");
    if (!code.empty() && code.size() < 6 &&
        code.find_first_not_of("0123456789") == std::string::npos) {
      event.exit_code = std::stoi(code);
    }
  }
  return event;
}

absl::StatusOr<std::string> DockerEngine::Logs(const std::string& id,
                                               int tail) const {
  auto response = Call(
      "GET",
      text::Cat("/containers/", id, "/logs?stdout=1&stderr=1&tail=", tail),
      std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpError("container logs", *response);
  return DemuxLogStream(response->body);
}

absl::StatusOr<ContainerDetails> DockerEngine::Inspect(
    const std::string& id) const {
  auto response = Call("GET", text::Cat("/containers/", id, "/json"),
                       std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpError("inspect container", *response);
  const auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (!json.is_object()) {
    return absl::InternalError("container engine: inspect: not JSON");
  }
  ContainerDetails details;
  details.id = Str(json, "Id", "");
  const auto& state = json.contains("State") ? json["State"] : nlohmann::json();
  if (state.is_object()) {
    details.running = Bool(state, "Running", false);
    details.exit_code = Int(state, "ExitCode", 0);
    details.oom_killed = Bool(state, "OOMKilled", false);
    const int pid = Int(state, "Pid", 0);
    if (pid > 0) details.pid = pid;
  }
  const auto& config = json.contains("Config") ? json["Config"] : nlohmann::json();
  if (config.is_object()) {
    details.image = Str(config, "Image", "");
    if (config.contains("Env") && config["Env"].is_array()) {
      for (const auto& entry : config["Env"]) {
        if (entry.is_string()) details.env.push_back(entry.get<std::string>());
      }
    }
    if (config.contains("Labels") && config["Labels"].is_object()) {
      for (const auto& [name, value] : config["Labels"].items()) {
        if (value.is_string()) details.labels[name] = value.get<std::string>();
      }
    }
  }
  if (json.contains("NetworkSettings") && json["NetworkSettings"].is_object() &&
      json["NetworkSettings"].contains("Networks") &&
      json["NetworkSettings"]["Networks"].is_object()) {
    for (const auto& [name, network] :
         json["NetworkSettings"]["Networks"].items()) {
      if (network.is_object() && !Str(network, "IPAddress", "").empty()) {
        details.network_ip = Str(network, "IPAddress", "");
        break;
      }
    }
  }
  return details;
}

absl::StatusOr<std::vector<std::string>> DockerEngine::ListByGateway(
    const std::string& gateway_id) const {
  auto response = Call(
      "GET",
      text::Cat("/containers/json?all=1&filters=",
                QueryEscape(GatewayLabelFilter(gateway_id))),
      std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpError("list containers", *response);
  const auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (!json.is_array()) {
    return absl::InternalError("container engine: list containers: not a list");
  }
  std::vector<std::string> ids;
  for (const auto& entry : json) {
    if (entry.is_object() && entry.contains("Id") && entry["Id"].is_string()) {
      ids.push_back(entry["Id"].get<std::string>());
    }
  }
  return ids;
}

}  // namespace mcpgw::runtime
