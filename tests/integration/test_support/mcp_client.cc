#include "test_support/mcp_client.h"

namespace mcpgw::it {

McpClient::McpClient(std::string url, std::optional<std::string> dsn)
    : url_(std::move(url)), dsn_(std::move(dsn)) {}

HttpResponse McpClient::Call(std::string_view method, nlohmann::json params,
                             std::chrono::milliseconds timeout) {
  nlohmann::json message = {{"jsonrpc", "2.0"},
                            {"id", next_id_++},
                            {"method", std::string(method)},
                            {"params", std::move(params)}};
  return PostRaw(message.dump(), "", false, timeout);
}

HttpResponse McpClient::ListTools() { return Call("tools/list"); }

HttpResponse McpClient::ExecuteSql(std::string_view sql) {
  return Call("tools/call",
              {{"name", "execute_sql"},
               {"arguments", {{"sql", std::string(sql)}}}});
}

HttpResponse McpClient::PostRaw(std::string body, std::string_view url_suffix,
                                bool chunked,
                                std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = "POST";
  request.url = url_ + std::string(url_suffix);
  request.headers = BaseHeaders();
  request.body = std::move(body);
  request.chunked = chunked;
  request.timeout = timeout;
  return http_.Send(request);
}

std::vector<std::string> McpClient::BaseHeaders() const {
  std::vector<std::string> headers = {
      "Content-Type: application/json",
      "Accept: application/json, text/event-stream"};
  if (dsn_.has_value()) headers.push_back("X-DBHub-DSN: " + *dsn_);
  if (!session_id_.empty()) headers.push_back("Mcp-Session-Id: " + session_id_);
  if (!protocol_version_.empty()) {
    headers.push_back("MCP-Protocol-Version: " + protocol_version_);
  }
  headers.insert(headers.end(), headers_.begin(), headers_.end());
  return headers;
}

HttpResponse McpClient::Send(std::string method, std::string body,
                             std::vector<std::string> extra_headers,
                             std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = url_;
  request.headers = BaseHeaders();
  request.headers.insert(request.headers.end(), extra_headers.begin(),
                         extra_headers.end());
  request.body = std::move(body);
  request.timeout = timeout;
  return http_.Send(request);
}

HttpResponse McpClient::Initialize(std::string_view protocol_version) {
  session_id_.clear();
  protocol_version_.clear();
  auto answer = Call("initialize",
                     {{"protocolVersion", std::string(protocol_version)},
                      {"capabilities", nlohmann::json::object()},
                      {"clientInfo", {{"name", "integration-test"},
                                      {"version", "1.0"}}}});
  session_id_ = answer.Header("mcp-session-id");
  if (answer.status == 200 && !answer.messages.empty() &&
      answer.messages[0].contains("result")) {
    protocol_version_ =
        answer.messages[0]["result"].value("protocolVersion", "");
    PostRaw(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  }
  return answer;
}

const nlohmann::json* JsonRpcError(const HttpResponse& response) {
  if (response.messages.empty()) return nullptr;
  const auto& message = response.messages.front();
  if (!message.is_object()) return nullptr;
  auto it = message.find("error");
  if (it == message.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::string JsonRpcErrorMessage(const HttpResponse& response) {
  const auto* error = JsonRpcError(response);
  if (error == nullptr) return "";
  auto it = error->find("message");
  return (it != error->end() && it->is_string()) ? it->get<std::string>() : "";
}

int JsonRpcErrorCode(const HttpResponse& response) {
  const auto* error = JsonRpcError(response);
  if (error == nullptr) return 0;
  auto it = error->find("code");
  return (it != error->end() && it->is_number_integer()) ? it->get<int>() : 0;
}

std::vector<std::string> ToolNames(const HttpResponse& response) {
  std::vector<std::string> names;
  for (const auto& message : response.messages) {
    if (!message.is_object()) continue;
    const auto tools = message.value("/result/tools"_json_pointer,
                                     nlohmann::json::array());
    if (!tools.is_array()) continue;
    for (const auto& tool : tools) {
      if (tool.is_object() && tool.contains("name") &&
          tool["name"].is_string()) {
        names.push_back(tool["name"].get<std::string>());
      }
    }
  }
  return names;
}

std::optional<nlohmann::json> ExecuteSqlRows(const HttpResponse& response) {
  for (const auto& message : response.messages) {
    if (!message.is_object()) continue;
    const auto text = message.value("/result/content/0/text"_json_pointer,
                                    nlohmann::json());
    if (!text.is_string()) continue;
    auto payload = nlohmann::json::parse(text.get<std::string>(), nullptr,
                                         /*allow_exceptions=*/false);
    if (payload.is_discarded() || !payload.is_object()) continue;
    if (payload.value("success", false) != true) continue;
    const auto rows = payload.value("/data/statements/0/rows"_json_pointer,
                                    nlohmann::json());
    if (rows.is_array()) return rows;
  }
  return std::nullopt;
}

}  // namespace mcpgw::it
