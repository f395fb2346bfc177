#pragma once
// JSON-RPC error objects and the HTTP responses that carry them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// The `id` of a JSON-RPC request body, or null when there is none to echo
// (unparseable, a batch, a notification).
nlohmann::json RequestIdOf(std::string_view body);

// `data`: the error's data member, left out when null.
nlohmann::json JsonRpcErrorObject(const nlohmann::json& id, int code,
                                 std::string_view message,
                                 const nlohmann::json& data = nullptr);
std::string JsonRpcErrorBody(const nlohmann::json& id, int code,
                             std::string_view message,
                             const nlohmann::json& data = nullptr);

// The message of the error a client gets when its instance could not be
// reached or did not answer.
std::string BackendFailureMessage(const beast::error_code& error);

// The error event a client gets for a request whose answer will never come:
// its instance stopped, or the connection to it broke, mid-answer
// (`failure` says how).
std::string BackendStoppedBody(const nlohmann::json& id,
                               std::string_view failure);

struct ErrorReply {
  http::status status;
  int rpc_code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // The error's data member (null: none), e.g. 2026-07-28's
  // UnsupportedProtocolVersionError {supported, requested}.
  nlohmann::json data = nullptr;
};

// An application/json response carrying `reply` as a JSON-RPC error.
Response MakeErrorResponse(const ErrorReply& reply, const nlohmann::json& id,
                           unsigned version, bool keep_alive);

// A small application/json response.
Response MakeJsonResponse(http::status status, const nlohmann::json& body,
                          unsigned version, bool keep_alive);

}  // namespace mcpgw::gateway
