#include "mcp_responder/responder.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace mcpgw::loadtest {
namespace {

using json = nlohmann::json;

constexpr std::string_view kDefaultProtocolVersion = "2025-06-18";

json Result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json Error(const json& id, int code, std::string message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", std::move(message)}}}};
}

ResponderAnswer Sse(const json& message) {
  ResponderAnswer a;
  a.events = SseEvent(message.dump());
  return a;
}

json ToolsList() {
  json sql_schema = {{"type", "object"},
                     {"properties", {{"sql", {{"type", "string"}}}}},
                     {"required", {"sql"}}};
  json hold_schema = {
      {"type", "object"},
      {"properties", {{"hold_ms", {{"type", "integer"}}}, {"interval_ms", {{"type", "integer"}}}}}};
  return {{"tools",
           {{{"name", "execute_sql"},
             {"description", "Answers at once with one row; runs nothing."},
             {"inputSchema", sql_schema}},
            {{"name", "hold"},
             {"description", "Keeps the answer open for hold_ms, one notification per interval_ms."},
             {"inputSchema", hold_schema}}}}};
}

std::chrono::milliseconds ClampedMs(const json& args, const char* name, std::chrono::milliseconds dflt,
                                    std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_number_integer()) return dflt;
  return std::clamp(std::chrono::milliseconds(it->get<std::int64_t>()), min, max);
}

ResponderAnswer ToolsCall(const json& id, const json& params) {
  const json empty = json::object();
  const json& args = params.contains("arguments") && params["arguments"].is_object()
                         ? params["arguments"]
                         : empty;
  const std::string name = params.value("name", "");
  if (name == "execute_sql") {
    json content = json::array({{{"type", "text"}, {"text", R"([{"ok":1}])"}}});
    return Sse(Result(id, {{"content", content}}));
  }
  if (name == "hold") {
    ResponderAnswer a;
    a.kind = ResponderAnswer::Kind::kHold;
    a.hold = ClampedMs(args, "hold_ms", std::chrono::milliseconds(0), std::chrono::milliseconds(0),
                       kMaxHold);
    a.interval = ClampedMs(args, "interval_ms", kDefaultHoldInterval, kMinHoldInterval, kMaxHold);
    a.events = HoldNotification(0);
    json content = json::array({{{"type", "text"}, {"text", "held"}}});
    a.final_event = SseEvent(Result(id, {{"content", content}}).dump());
    return a;
  }
  return Sse(Error(id, -32602, "unknown tool"));
}

}  // namespace

std::string SseEvent(std::string_view json_text) {
  std::string out = "event: message\ndata: ";
  out.append(json_text);
  out.append("\n\n");
  return out;
}

std::string HoldNotification(std::uint64_t seq) {
  json n = {{"jsonrpc", "2.0"},
            {"method", "notifications/message"},
            {"params", {{"level", "info"}, {"data", {{"seq", seq}}}}}};
  return SseEvent(n.dump());
}

ResponderAnswer Respond(std::string_view body) {
  json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object()) {
    ResponderAnswer a;
    a.kind = ResponderAnswer::Kind::kBadRequest;
    a.events = Error(nullptr, -32700, "parse error").dump();
    return a;
  }
  if (!request.contains("method") || !request.contains("id")) {
    // A notification or a response to us: nothing to answer.
    ResponderAnswer a;
    a.kind = ResponderAnswer::Kind::kAccepted;
    return a;
  }
  const json& id = request["id"];
  const std::string method = request["method"].is_string() ? request["method"].get<std::string>() : "";
  const json empty = json::object();
  const json& params = request.contains("params") && request["params"].is_object()
                           ? request["params"]
                           : empty;
  if (method == "initialize") {
    std::string version = params.value("protocolVersion", std::string(kDefaultProtocolVersion));
    return Sse(Result(id, {{"protocolVersion", version},
                           {"capabilities", {{"tools", json::object()}}},
                           {"serverInfo", {{"name", "mcp-responder"}, {"version", "1.0.0"}}}}));
  }
  if (method == "ping") return Sse(Result(id, json::object()));
  if (method == "tools/list") return Sse(Result(id, ToolsList()));
  if (method == "tools/call") return ToolsCall(id, params);
  return Sse(Error(id, -32601, "method not found"));
}

}  // namespace mcpgw::loadtest
