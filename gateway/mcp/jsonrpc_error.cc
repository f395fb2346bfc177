#include "gateway/mcp/jsonrpc_error.h"

#include "common/text.h"
#include "policies/target.h"

namespace mcpgw::gateway {

nlohmann::json RequestIdOf(std::string_view body) {
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto it = parsed.find("id");
    if (it != parsed.end() && (it->is_string() || it->is_number_integer())) {
      return *it;
    }
  }
  return nullptr;
}

nlohmann::json JsonRpcErrorObject(const nlohmann::json& id, int code,
                                 std::string_view message,
                                 const nlohmann::json& data) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return {
      {"jsonrpc", "2.0"},
      {"id", id},
      {"error", std::move(error)},
  };
}

std::string JsonRpcErrorBody(const nlohmann::json& id, int code,
                             std::string_view message,
                             const nlohmann::json& data) {
  // Replace invalid UTF-8 rather than throw: messages may quote input.
  return JsonRpcErrorObject(id, code, message, data)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Response MakeJsonResponse(http::status status, const nlohmann::json& body,
                          unsigned version, bool keep_alive) {
  Response response{status, version};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.body() =
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

Response MakeErrorResponse(const ErrorReply& reply, const nlohmann::json& id,
                           unsigned version, bool keep_alive) {
  Response response{reply.status, version};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : reply.extra_headers) {
    response.set(name, value);
  }
  response.body() = JsonRpcErrorBody(id, reply.rpc_code, reply.message, reply.data);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

std::string BackendStoppedBody(const nlohmann::json& id,
                               std::string_view failure) {
  return JsonRpcErrorBody(
      id, policies::rpc_code::kBackendFailed,
      text::Cat("the MCP server behind the gateway stopped before it "
                "answered (", failure, "); retry the request"));
}

std::string BackendFailureMessage(const beast::error_code& error) {
  return text::Cat("the MCP server behind the gateway did not answer: ",
                   error.message(), "; retry the request");
}

}  // namespace mcpgw::gateway
