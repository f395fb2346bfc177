#include "gateway/jsonrpc_body.h"

#include "policies/target.h"

namespace mcpgw::gateway {

nlohmann::json ParseBodyJson(std::string_view body) {
  // The parse validates UTF-8 in strings as it goes.
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

JsonRpcBody ParseJsonRpcBody(std::string_view body) {
  return ToJsonRpcBody(ParseBodyJson(body));
}

JsonRpcBody ToJsonRpcBody(nlohmann::json json) {
  JsonRpcBody parsed;
  if (json.is_discarded()) return parsed;
  if (json.is_array()) {
    parsed.shape = JsonRpcBody::Shape::kBatch;
    parsed.messages.reserve(json.size());
    for (auto& element : json) parsed.messages.push_back(std::move(element));
  } else {
    parsed.shape = JsonRpcBody::Shape::kSingle;
    parsed.messages.push_back(std::move(json));
  }
  return parsed;
}

bool IsJsonRpcRequest(const nlohmann::json& message) {
  return message.is_object() && message.contains("id") &&
         message.contains("method") && message["method"].is_string();
}

bool IsJsonRpcResponse(const nlohmann::json& message) {
  return message.is_object() && message.contains("id") &&
         !message.contains("method") &&
         (message.contains("result") || message.contains("error"));
}

bool IsInitialize(const nlohmann::json& message) {
  return IsJsonRpcRequest(message) && message["method"] == "initialize";
}

std::string JsonRpcShapeProblem(const nlohmann::json& message) {
  if (!message.is_object()) return "a JSON-RPC message must be an object";
  const auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") {
    return "\"jsonrpc\" must be \"2.0\"";
  }
  if (message.contains("id")) {
    const auto& id = message["id"];
    if (!id.is_string() && !id.is_number_integer()) {
      return "\"id\" must be a string or an integer";
    }
  }
  if (message.contains("method")) {
    if (!message["method"].is_string()) return "\"method\" must be a string";
    return {};
  }
  if (IsJsonRpcResponse(message)) return {};
  return "a message needs a \"method\" (request, notification) or a "
         "\"result\"/\"error\" with an \"id\" (response)";
}

std::optional<ErrorReply> CheckJsonRpcBody(std::string_view body) {
  return CheckParsedJsonRpcBody(ParseBodyJson(body));
}

std::optional<ErrorReply> CheckParsedJsonRpcBody(const nlohmann::json& json) {
  if (json.is_discarded()) {
    return ErrorReply{http::status::bad_request, policies::rpc_code::kParseError,
                      "Parse error: the request body is not JSON (RFC 8259, UTF-8)",
                      {}};
  }
  bool message = json.is_object();
  if (json.is_array() && !json.empty()) {
    message = true;
    for (const auto& element : json) message = message && element.is_object();
  }
  if (!message) {
    return ErrorReply{http::status::bad_request,
                      policies::rpc_code::kInvalidRequest,
                      "Invalid Request: the body must be a JSON-RPC message "
                      "(an object) or a batch (a non-empty array of objects)",
                      {}};
  }
  return std::nullopt;
}

}  // namespace mcpgw::gateway
