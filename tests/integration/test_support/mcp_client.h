#pragma once
// An MCP client speaking Streamable HTTP to the gateway's POST /mcp, with the
// DSN in X-DBHub-DSN, plus readers for the answers DBHub gives.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support/http_client.h"

namespace mcpgw::it {

class McpClient {
 public:
  // `url`: http://127.0.0.1:PORT/mcp. `dsn`: nullopt sends no DSN header.
  McpClient(std::string url, std::optional<std::string> dsn);

  // A JSON-RPC request with a fresh id.
  HttpResponse Call(std::string_view method,
                    nlohmann::json params = nlohmann::json::object(),
                    std::chrono::milliseconds timeout = kDefaultRequestTimeout);
  HttpResponse ListTools();
  HttpResponse ExecuteSql(std::string_view sql);

  // Any body, to this client's URL plus `url_suffix` (e.g. "?dsn=...").
  HttpResponse PostRaw(std::string body, std::string_view url_suffix = "",
                       bool chunked = false,
                       std::chrono::milliseconds timeout =
                           kDefaultRequestTimeout);

  int last_id() const { return next_id_ - 1; }

  // Sends initialize (then notifications/initialized) and keeps the
  // Mcp-Session-Id the answer carries and the negotiated revision: every
  // later request sends both, as real clients do.
  HttpResponse Initialize(std::string_view protocol_version = "2025-06-18");
  const std::string& session_id() const { return session_id_; }
  void set_session_id(std::string id) { session_id_ = std::move(id); }
  // Extra "Name: value" headers sent with every request.
  void AddHeader(std::string header) { headers_.push_back(std::move(header)); }
  // Any method on the endpoint, with this client's headers.
  HttpResponse Send(std::string method, std::string body = "",
                    std::vector<std::string> extra_headers = {},
                    std::chrono::milliseconds timeout = kDefaultRequestTimeout);

 private:
  std::vector<std::string> BaseHeaders() const;

  std::string url_;
  std::optional<std::string> dsn_;
  std::string session_id_;
  std::string protocol_version_;  // negotiated at initialize
  std::vector<std::string> headers_;
  HttpClient http_;
  int next_id_ = 1;
};

// The `error` object of the first JSON-RPC message, or nullptr.
const nlohmann::json* JsonRpcError(const HttpResponse& response);
// The error's message ("" if none).
std::string JsonRpcErrorMessage(const HttpResponse& response);
// The error's code (0 if none).
int JsonRpcErrorCode(const HttpResponse& response);

// Names from a tools/list answer.
std::vector<std::string> ToolNames(const HttpResponse& response);

// The rows of the first statement of a successful execute_sql answer
// (result.content[0].text parsed as JSON); nullopt if there are none.
std::optional<nlohmann::json> ExecuteSqlRows(const HttpResponse& response);

}  // namespace mcpgw::it
