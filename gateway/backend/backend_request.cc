#include "gateway/backend/backend_request.h"

#include <charconv>

#include "gateway/backend/wire_head.h"

namespace mcpgw::gateway {
namespace {

constexpr std::size_t kTypicalHead = 512;

}  // namespace

BackendRequest::BackendRequest(http::verb method, std::string_view target)
    : method_(method) {
  start_.reserve(kTypicalHead);
  start_.append(http::to_string(method));
  start_ += ' ';
  start_.append(target);
  start_.append(" HTTP/1.1\r\n");
}

void BackendRequest::AddField(std::string_view name, std::string_view value) {
  AppendField(start_, name, value);  // wire_head.h
}

std::string BackendRequest::Head() const {
  std::string head;
  head.reserve(start_.size() + session_.size() + 64);
  head.append(start_);
  if (!session_.empty()) {
    AppendField(head, "Mcp-Session-Id", session_);  // sessions.h kSessionHeader
  }
  // As Beast's prepare_payload: no length for an empty body of a method
  // that takes none (RFC 9110 8.6).
  const bool takes_body = method_ == http::verb::post ||
                          method_ == http::verb::put ||
                          method_ == http::verb::patch;
  if (!body_.empty() || takes_body) {
    head.append("Content-Length: ");
    char digits[24];
    const char* end =
        std::to_chars(digits, digits + sizeof(digits), body_.size()).ptr;
    head.append(digits, static_cast<std::size_t>(end - digits));
    head.append("\r\n");
  }
  head.append("\r\n");
  return head;
}

}  // namespace mcpgw::gateway
