#include "gateway/mcp/era_bridge.h"

#include "common/text.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/protocol_version.h"
#include "gateway/mcp/request_metadata.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kMetaPrefix = "io.modelcontextprotocol/";
constexpr std::string_view kMetaClientCapabilities =
    "io.modelcontextprotocol/clientCapabilities";
constexpr std::string_view kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
constexpr std::string_view kMetaServerInfo = "io.modelcontextprotocol/serverInfo";

const nlohmann::json* Meta(const nlohmann::json& message) {
  if (!message.is_object()) return nullptr;
  const auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return nullptr;
  const auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return nullptr;
  return &*meta;
}

bool NeedsCachingHints(std::string_view method) {
  return method == "server/discover" || method == "tools/list" ||
         method == "prompts/list" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read";
}

}  // namespace

std::optional<BackendEra> BackendEras::Find(const std::string& instance_id) {
  MutexLock lock(mutex_);
  const auto it = eras_.find(instance_id);
  if (it == eras_.end()) return std::nullopt;
  return it->second;
}

void BackendEras::Set(const std::string& instance_id, BackendEra era) {
  MutexLock lock(mutex_);
  eras_[instance_id] = era;
}

void BackendEras::Forget(const std::string& instance_id) {
  MutexLock lock(mutex_);
  eras_.erase(instance_id);
}

nlohmann::json DiscoverProbe() {
  const auto version = StatelessProtocolVersions().front();
  return {{"jsonrpc", "2.0"},
          {"id", "mcp-gateway-era-probe"},
          {"method", "server/discover"},
          {"params",
           {{"_meta",
             {{kMetaProtocolVersion, version},
              {kMetaClientCapabilities, nlohmann::json::object()},
              {kMetaClientInfo,
               {{"name", "mcp-gateway"}, {"version", "probe"}}}}}}}};
}

bool AnswersStateless(unsigned status,
                      const std::vector<nlohmann::json>& messages) {
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    const auto result = message.find("result");
    if (status == 200 && result != message.end() && result->is_object()) {
      const auto versions = result->find("supportedVersions");
      if (versions == result->end() || !versions->is_array()) continue;
      for (const auto& version : *versions) {
        if (version.is_string() &&
            IsStatelessRevision(version.get_ref<const std::string&>())) {
          return true;
        }
      }
    }
    const auto error = message.find("error");
    if (error != message.end() && error->is_object()) {
      const auto code = error->value("code", 0);
      if (code == policies::rpc_code::kHeaderMismatch ||
          code == policies::rpc_code::kMissingRequiredClientCapability ||
          code == policies::rpc_code::kUnsupportedProtocolVersionModern) {
        return true;
      }
    }
  }
  return false;
}

BridgeRoute RouteForBridge(std::string_view method) {
  if (method == "server/discover") return BridgeRoute::kDiscover;
  if (method == "tools/list" || method == "tools/call" ||
      method == "resources/list" || method == "resources/read" ||
      method == "resources/templates/list" || method == "prompts/list" ||
      method == "prompts/get" || method == "completion/complete") {
    return BridgeRoute::kRequest;
  }
  // A stream of server-to-client notifications: the older era has them on
  // a session's GET stream, which this bridge does not hold open.
  if (method == "subscriptions/listen") return BridgeRoute::kUnbridgeable;
  return BridgeRoute::kRemoved;
}

std::optional<ErrorReply> MissingRequestMeta(const nlohmann::json& message) {
  const auto* meta = Meta(message);
  const char* missing = nullptr;
  if (meta == nullptr) {
    missing = "params._meta";
  } else if (!meta->contains(kMetaProtocolVersion) ||
             !(*meta)[std::string(kMetaProtocolVersion)].is_string()) {
    missing = "params._meta[\"io.modelcontextprotocol/protocolVersion\"]";
  } else if (!meta->contains(kMetaClientCapabilities) ||
             !(*meta)[std::string(kMetaClientCapabilities)].is_object()) {
    missing = "params._meta[\"io.modelcontextprotocol/clientCapabilities\"]";
  }
  if (missing == nullptr) return std::nullopt;
  return ErrorReply{http::status::bad_request,
                    policies::rpc_code::kInvalidParams,
                    text::Cat("Invalid params: a 2026-07-28 request needs ",
                              missing),
                    {}};
}

nlohmann::json InitializeFor(const nlohmann::json& message) {
  nlohmann::json capabilities = nlohmann::json::object();
  nlohmann::json client_info = {{"name", "mcp-gateway-bridge"},
                                {"version", "1"}};
  if (const auto* meta = Meta(message)) {
    const auto caps = meta->find(kMetaClientCapabilities);
    if (caps != meta->end() && caps->is_object()) capabilities = *caps;
    const auto info = meta->find(kMetaClientInfo);
    if (info != meta->end() && info->is_object()) client_info = *info;
  }
  // Each of these lets the backend send requests back to the client, which
  // the bridge has no way to carry (HasServerRequest).
  for (const char* name : {"sampling", "elicitation", "roots"}) {
    capabilities.erase(name);
  }
  return {{"jsonrpc", "2.0"},
          {"id", "mcp-gateway-bridge-initialize"},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", kBridgedBackendRevision},
            {"capabilities", std::move(capabilities)},
            {"clientInfo", std::move(client_info)}}}};
}

nlohmann::json LegacyRequest(const nlohmann::json& message) {
  nlohmann::json legacy = message;
  auto params = legacy.find("params");
  if (params == legacy.end() || !params->is_object()) return legacy;
  auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return legacy;
  for (auto it = meta->begin(); it != meta->end();) {
    if (it.key().starts_with(kMetaPrefix)) {
      it = meta->erase(it);
    } else {
      ++it;
    }
  }
  if (meta->empty()) params->erase("_meta");
  return legacy;
}

nlohmann::json DiscoverResult(const nlohmann::json& initialize_result) {
  nlohmann::json supported = nlohmann::json::array();
  for (const auto version : StatelessProtocolVersions()) {
    supported.push_back(version);
  }
  nlohmann::json result = {
      {"resultType", "complete"},
      {"supportedVersions", std::move(supported)},
      {"capabilities", nlohmann::json::object()},
      {"ttlMs", 0},
      {"cacheScope", "private"},
  };
  if (!initialize_result.is_object()) return result;
  if (const auto caps = initialize_result.find("capabilities");
      caps != initialize_result.end() && caps->is_object()) {
    result["capabilities"] = *caps;
    // Logging is set per request in 2026-07-28 (_meta logLevel), and
    // subscriptions need the listen stream the bridge does not carry.
    result["capabilities"].erase("logging");
    if (auto resources = result["capabilities"].find("resources");
        resources != result["capabilities"].end() && resources->is_object()) {
      resources->erase("subscribe");
    }
  }
  if (const auto instructions = initialize_result.find("instructions");
      instructions != initialize_result.end() && instructions->is_string()) {
    result["instructions"] = *instructions;
  }
  if (const auto info = initialize_result.find("serverInfo");
      info != initialize_result.end() && info->is_object()) {
    result["_meta"] = {{kMetaServerInfo, *info}};
  }
  return result;
}

nlohmann::json StatelessAnswer(std::string_view method, nlohmann::json answer) {
  auto result = answer.find("result");
  if (result == answer.end() || !result->is_object()) return answer;
  (*result)["resultType"] = "complete";
  if (NeedsCachingHints(method)) {
    // The gateway cannot know how long a backend's answer stays true, and
    // every answer belongs to one DSN or tenant.
    (*result)["ttlMs"] = 0;
    (*result)["cacheScope"] = "private";
  }
  return answer;
}

bool HasServerRequest(const std::vector<nlohmann::json>& messages) {
  for (const auto& message : messages) {
    if (IsJsonRpcRequest(message)) return true;
  }
  return false;
}

std::string BackendRevisionsText(std::string_view negotiated) {
  return text::Cat(negotiated.empty() ? kBridgedBackendRevision : negotiated,
                   " (the initialize-based era, before 2026-07-28)");
}

}  // namespace mcpgw::gateway
