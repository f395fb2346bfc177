#include "mcp_load/mcp_response.h"

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace mcpgw::loadtest {
namespace {

using nlohmann::json;

enum class Match { kNone, kOtherId, kOk, kRpcError, kToolError };

// Looks at one JSON-RPC message (not a batch).
Match MatchMessage(const json& m, std::uint64_t expected_id) {
  if (!m.is_object()) return Match::kNone;
  auto id = m.find("id");
  bool has_result = m.contains("result");
  bool has_error = m.contains("error");
  if (!has_result && !has_error) return Match::kNone;  // request or notification
  if (id == m.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() != expected_id) {
    return Match::kOtherId;
  }
  if (has_error) return Match::kRpcError;
  const json& r = m["result"];
  if (r.is_object()) {
    auto is_error = r.find("isError");
    if (is_error != r.end() && is_error->is_boolean() && is_error->get<bool>()) {
      return Match::kToolError;
    }
  }
  return Match::kOk;
}

// Folds one parsed JSON value (message or batch) into the running verdict.
Match MatchValue(const json& v, std::uint64_t expected_id) {
  if (!v.is_array()) return MatchMessage(v, expected_id);
  Match best = Match::kNone;
  for (const json& m : v) {
    Match x = MatchMessage(m, expected_id);
    if (x == Match::kOk || x == Match::kRpcError || x == Match::kToolError) return x;
    if (x == Match::kOtherId) best = Match::kOtherId;
  }
  return best;
}

Outcome ToOutcome(Match m) {
  switch (m) {
    case Match::kOk: return Outcome::kOk;
    case Match::kRpcError: return Outcome::kRpcError;
    case Match::kToolError: return Outcome::kToolError;
    case Match::kOtherId: return Outcome::kWrongId;
    case Match::kNone: break;
  }
  return Outcome::kBadResponse;
}

std::string_view MediaType(std::string_view content_type) {
  return text::StripWhitespace(content_type.substr(0, content_type.find(';')));
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kHttpStatus: return "http_status";
    case Outcome::kRpcError: return "rpc_error";
    case Outcome::kToolError: return "tool_error";
    case Outcome::kWrongId: return "wrong_id";
    case Outcome::kBadResponse: return "bad_response";
    case Outcome::kTransport: return "transport";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kHttpProtocol: return "http_protocol";
  }
  return "unknown";
}

std::vector<std::string> SseMessageData(std::string_view body) {
  std::vector<std::string> out;
  std::string data;
  std::string event;
  bool has_data = false;
  auto dispatch = [&] {
    if (has_data && (event.empty() || event == "message")) out.push_back(std::move(data));
    data.clear();
    event.clear();
    has_data = false;
  };
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find_first_of("\r\n", pos);
    std::string_view line = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (end == std::string_view::npos) {
      pos = body.size();
    } else {
      pos = end + ((body[end] == '\r' && end + 1 < body.size() && body[end + 1] == '\n') ? 2 : 1);
    }
    if (line.empty()) {
      dispatch();
      continue;
    }
    if (line.front() == ':') continue;  // comment
    std::string_view field = line;
    std::string_view value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data) data.push_back('\n');
      data.append(value);
      has_data = true;
    } else if (field == "event") {
      event = std::string(value);
    }
  }
  dispatch();
  return out;
}

Outcome ClassifyResponse(unsigned status, std::string_view content_type, std::string_view body,
                         std::uint64_t expected_id) {
  if (status < 200 || status > 299) return Outcome::kHttpStatus;
  std::string media = text::Lower(MediaType(content_type));
  if (media == "application/json") {
    json v = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return Outcome::kBadResponse;
    return ToOutcome(MatchValue(v, expected_id));
  }
  if (media == "text/event-stream") {
    Match best = Match::kNone;
    for (const std::string& data : SseMessageData(body)) {
      json v = json::parse(data, nullptr, /*allow_exceptions=*/false);
      if (v.is_discarded()) return Outcome::kBadResponse;
      Match m = MatchValue(v, expected_id);
      if (m == Match::kOk || m == Match::kRpcError || m == Match::kToolError) return ToOutcome(m);
      if (m == Match::kOtherId) best = m;
    }
    return ToOutcome(best);
  }
  return Outcome::kBadResponse;
}

std::string RequestBody::With(std::uint64_t id) const {
  std::string out;
  out.reserve(prefix.size() + 20 + suffix.size());
  out.append(prefix).append(std::to_string(id)).append(suffix);
  return out;
}

RequestBody MakeToolCallBody(const std::string& tool, const std::string& sql) {
  json params = {{"name", tool}, {"arguments", {{"sql", sql}}}};
  RequestBody b;
  b.prefix = R"({"jsonrpc":"2.0","id":)";
  b.suffix = R"(,"method":"tools/call","params":)" + params.dump() + "}";
  return b;
}

RequestBody MakeToolCallBodyWithArguments(const std::string& tool, const std::string& arguments) {
  json params = {{"name", tool}, {"arguments", json::parse(arguments)}};
  RequestBody b;
  b.prefix = R"({"jsonrpc":"2.0","id":)";
  b.suffix = R"(,"method":"tools/call","params":)" + params.dump() + "}";
  return b;
}

RequestBody MakeInitializeBody(const std::string& protocol_version) {
  json params = {{"protocolVersion", protocol_version},
                 {"capabilities", json::object()},
                 {"clientInfo", {{"name", "mcp-load"}, {"version", "1.0.0"}}}};
  RequestBody b;
  b.prefix = R"({"jsonrpc":"2.0","id":)";
  b.suffix = R"(,"method":"initialize","params":)" + params.dump() + "}";
  return b;
}

std::string InitializedNotification() {
  return R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
}

std::string NegotiatedProtocolVersion(std::string_view content_type, std::string_view body) {
  std::vector<std::string> messages;
  if (content_type.find("text/event-stream") != std::string_view::npos) {
    messages = SseMessageData(body);
  } else {
    messages.emplace_back(body);
  }
  for (const std::string& m : messages) {
    json v = json::parse(m, nullptr, /*allow_exceptions=*/false);
    if (!v.is_object() || !v.contains("result") || !v["result"].is_object()) continue;
    const json& r = v["result"];
    if (r.contains("protocolVersion") && r["protocolVersion"].is_string()) {
      return r["protocolVersion"].get<std::string>();
    }
  }
  return "";
}

}  // namespace mcpgw::loadtest
