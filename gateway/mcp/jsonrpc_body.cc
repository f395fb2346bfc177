#include "gateway/mcp/jsonrpc_body.h"

#include "common/text.h"
#include "gateway/mcp/json_parse.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

std::string_view TypeName(const nlohmann::json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  return "an object";
}

FieldProblem Wrong(int code, std::string_view field, std::string_view wanted,
                   const nlohmann::json& got) {
  return FieldProblem{code, text::Cat(field, " must be ", wanted, ", not ",
                                      TypeName(got))};
}

// `value == "text"` would build a JSON string first: an allocation, on
// every request's checks.
bool IsStringEqualTo(const nlohmann::json& value, std::string_view text) {
  return value.is_string() && value.get_ref<const std::string&>() == text;
}

}  // namespace

std::optional<FieldProblem> MessageFieldProblem(const nlohmann::json& message) {
  using policies::rpc_code::kInvalidParams;
  using policies::rpc_code::kInvalidRequest;
  if (!message.is_object()) return std::nullopt;
  if (const auto it = message.find("jsonrpc"); it != message.end()) {
    if (!it->is_string()) {
      return Wrong(kInvalidRequest, "jsonrpc", "the string \"2.0\"", *it);
    }
    if (!IsStringEqualTo(*it, "2.0")) {
      return FieldProblem{kInvalidRequest, "jsonrpc must be \"2.0\""};
    }
  }
  if (const auto it = message.find("id"); it != message.end()) {
    if (!it->is_string() && !it->is_number_integer()) {
      return Wrong(kInvalidRequest, "id", "a string or an integer", *it);
    }
  }
  std::string_view method;
  if (const auto it = message.find("method"); it != message.end()) {
    if (!it->is_string()) return Wrong(kInvalidRequest, "method", "a string", *it);
    method = it->get_ref<const std::string&>();
  }
  const auto params_it = message.find("params");
  if (params_it == message.end()) return std::nullopt;
  const nlohmann::json& params = *params_it;
  if (!params.is_object()) {
    return Wrong(kInvalidRequest, "params", "an object", params);
  }
  const auto field = [&](std::string_view name,
                         bool (nlohmann::json::*is)() const noexcept,
                         std::string_view wanted) -> std::optional<FieldProblem> {
    const auto it = params.find(name);
    if (it == params.end() || ((*it).*is)()) return std::nullopt;
    return Wrong(kInvalidParams, text::Cat("params.", name), wanted, *it);
  };
  if (auto problem = field("_meta", &nlohmann::json::is_object, "an object")) {
    return problem;
  }
  if (method == "initialize") {
    if (auto problem =
            field("protocolVersion", &nlohmann::json::is_string, "a string")) {
      return problem;
    }
    if (auto problem =
            field("capabilities", &nlohmann::json::is_object, "an object")) {
      return problem;
    }
    if (auto problem =
            field("clientInfo", &nlohmann::json::is_object, "an object")) {
      return problem;
    }
  } else if (const auto name = StringParamOf(method); !name.empty()) {
    if (auto problem = field(name, &nlohmann::json::is_string, "a string")) {
      return problem;
    }
  }
  return std::nullopt;
}

std::string_view StringParamOf(std::string_view method) {
  if (method == "tools/call" || method == "prompts/get") return "name";
  if (method.ends_with("/list")) return "cursor";
  return {};
}

std::optional<FieldProblem> BatchElementProblem(const nlohmann::json& message) {
  if (auto problem = MessageFieldProblem(message)) return problem;
  std::string shape = JsonRpcShapeProblem(message);
  if (shape.empty()) return std::nullopt;
  return FieldProblem{policies::rpc_code::kInvalidRequest, std::move(shape)};
}

nlohmann::json EchoableId(const nlohmann::json& message) {
  if (!message.is_object()) return nullptr;
  const auto it = message.find("id");
  if (it == message.end() || !(it->is_string() || it->is_number_integer())) {
    return nullptr;
  }
  return *it;
}

std::string StringMember(const nlohmann::json& object, std::string_view name,
                         std::string_view fallback) {
  if (!object.is_object()) return std::string(fallback);
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::string(fallback);
  return it->get<std::string>();
}

std::string RequestedProtocolVersion(const nlohmann::json& initialize) {
  if (!initialize.is_object()) return {};
  const auto params = initialize.find("params");
  if (params == initialize.end()) return {};
  return StringMember(*params, "protocolVersion");
}

bool InitializeSucceeded(const std::vector<nlohmann::json>& messages,
                         const nlohmann::json& id) {
  for (const auto& message : messages) {
    if (IsJsonRpcResponse(message) && message["id"] == id) {
      return message.contains("result") && !message.contains("error");
    }
  }
  return false;
}

nlohmann::json ParseBodyJson(std::string_view body) {
  // The parse validates UTF-8 in strings as it goes.
  return ParseJson(body);
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

PostBody ReadPostBody(std::string_view body) {
  PostBody post;
  post.summary = SummarizeMessage(body);
  if (!post.summary) post.value = ParseBodyJson(body);
  return post;
}

nlohmann::json& BodyValue(PostBody& post, std::string_view text) {
  if (post.summary && post.value.is_null()) post.value = ParseBodyJson(text);
  return post.value;
}

std::optional<ErrorReply> CheckPostBody(const PostBody& post) {
  if (post.summary) return std::nullopt;
  return CheckParsedJsonRpcBody(post.value);
}

JsonRpcBody ToJsonRpcBody(PostBody&& post) {
  if (post.summary && post.value.is_null()) {
    JsonRpcBody body;
    body.shape = JsonRpcBody::Shape::kSingle;
    body.summary = std::move(post.summary);
    return body;
  }
  JsonRpcBody body = ToJsonRpcBody(std::move(post.value));
  body.summary = std::move(post.summary);
  return body;
}

bool IsSingleInitialize(const JsonRpcBody& body) {
  // A summary is never of an initialize.
  return body.shape == JsonRpcBody::Shape::kSingle && !body.messages.empty() &&
         IsInitialize(body.messages.front());
}

namespace {

// A request's "method" member (an object with an id and a string method),
// or null. One lookup a member: each costs a walk of the object's map, and
// the request path asks these questions of every message (issue 19).
const nlohmann::json* RequestMethod(const nlohmann::json& message) {
  if (!message.is_object()) return nullptr;
  const auto& members = message.get_ref<const nlohmann::json::object_t&>();
  if (members.find("id") == members.end()) return nullptr;
  const auto method = members.find("method");
  if (method == members.end() || !method->second.is_string()) return nullptr;
  return &method->second;
}

}  // namespace

bool IsJsonRpcRequest(const nlohmann::json& message) {
  return RequestMethod(message) != nullptr;
}

bool IsJsonRpcResponse(const nlohmann::json& message) {
  return message.is_object() && message.contains("id") &&
         !message.contains("method") &&
         (message.contains("result") || message.contains("error"));
}

bool IsInitialize(const nlohmann::json& message) {
  const auto* method = RequestMethod(message);
  return method != nullptr && IsStringEqualTo(*method, "initialize");
}

std::string JsonRpcShapeProblem(const nlohmann::json& message) {
  if (!message.is_object()) return "a JSON-RPC message must be an object";
  const auto version = message.find("jsonrpc");
  if (version == message.end() || !IsStringEqualTo(*version, "2.0")) {
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
  if (json.is_object()) {
    if (auto problem = MessageFieldProblem(json)) {
      return ErrorReply{http::status::bad_request, problem->code,
                        std::move(problem->message), {}};
    }
  }
  return std::nullopt;
}

}  // namespace mcpgw::gateway
