#pragma once
// A request to an instance, written as it goes on the wire (HTTP/1.1, a
// Content-Length body) while it is built: no header map is made for it (a
// map allocates per field, a few per cent of a proxied request's CPU). The
// instance's session id is kept apart: a request is sent again with a new
// one when the instance forgot the old (McpHandler::SendWithinSession).
// Names and values are written as they are given: Beast's parser made the
// client's, the gateway its own.

#include <string>
#include <string_view>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

class BackendRequest {
 public:
  BackendRequest(http::verb method, std::string_view target);

  void AddField(std::string_view name, std::string_view value);
  // Fields already written as "Name: value\r\n" lines.
  void AddRenderedFields(std::string_view lines) { start_.append(lines); }
  // Mcp-Session-Id for the instance (replaces the previous one; empty: none).
  void SetSession(std::string_view session) { session_ = session; }
  void SetBody(std::string body) { body_ = std::move(body); }

  // The head: request line, fields, the session's, Content-Length, the
  // blank line.
  std::string Head() const;
  const std::string& body() const { return body_; }

 private:
  http::verb method_;
  std::string start_;  // request line and the fields added so far
  std::string session_;
  std::string body_;
};

}  // namespace mcpgw::gateway
