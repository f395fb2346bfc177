#include "gateway/backend/wire_head.h"

#include <charconv>

namespace mcpgw::gateway {
namespace {

constexpr std::size_t kTypicalHead = 512;

}  // namespace

void AppendField(std::string& out, std::string_view name,
                 std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

std::string ResponseHead(const http::response_header<>& response) {
  std::string head;
  head.reserve(kTypicalHead);
  // The version as Beast writes it: 11 is "HTTP/1.1".
  const unsigned version = response.version();
  head.append("HTTP/");
  head += static_cast<char>('0' + version / 10);
  head += '.';
  head += static_cast<char>('0' + version % 10);
  head += ' ';
  head.append(std::to_string(response.result_int()));
  head += ' ';
  // As Beast writes it: the reason the instance gave, else the standard one.
  const auto reason = response.reason();
  if (reason.empty()) {
    head.append(http::obsolete_reason(response.result()));
  } else {
    head.append(reason);
  }
  head.append("\r\n");
  for (const auto& field : response) {
    AppendField(head, field.name_string(), field.value());
  }
  head.append("\r\n");
  return head;
}

ChunkSizeLine::ChunkSizeLine(std::size_t size) {
  char* end = std::to_chars(line_.data(), line_.data() + line_.size(), size,
                            16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  length_ = static_cast<std::size_t>(end - line_.data());
}

}  // namespace mcpgw::gateway
