#include "gateway/backend/wire_head.h"

#include <charconv>
#include <cstring>

namespace mcpgw::gateway {
namespace {

constexpr std::size_t kTypicalHead = 512;

// "HTTP/1.x code reason\r\n" as Beast writes it.
void AppendStatusLine(std::string& head, unsigned version,
                      const http::response_header<>& response) {
  // The version as Beast writes it: 11 is "HTTP/1.1".
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
}

// The fields an event stream's head sets itself.
bool SetByEventStream(http::field name) {
  switch (name) {
    case http::field::content_length:
    case http::field::transfer_encoding:
    case http::field::content_type:
    case http::field::cache_control:
    case http::field::connection:
      return true;
    default:
      return false;
  }
}

}  // namespace

void AppendField(std::string& out, std::string_view name,
                 std::string_view value) {
  // The line's room made at once, then copied in: four appends, each a call
  // with its checks, cost twice this for the ~20 lines a request writes
  // (issue 19).
  const std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

std::string ResponseHead(const http::response_header<>& response) {
  std::string head;
  head.reserve(kTypicalHead);
  AppendStatusLine(head, response.version(), response);
  for (const auto& field : response) {
    AppendField(head, field.name_string(), field.value());
  }
  head.append("\r\n");
  return head;
}

std::string EventStreamHead(const http::response_header<>& from,
                            unsigned version, bool keep_alive) {
  std::string head;
  head.reserve(kTypicalHead);
  AppendStatusLine(head, version, from);
  for (const auto& field : from) {
    if (SetByEventStream(field.name())) continue;
    AppendField(head, field.name_string(), field.value());
  }
  const bool chunked = version >= 11;
  AppendField(head, "Content-Type", "text/event-stream");
  AppendField(head, "Cache-Control", "no-cache");
  if (chunked) AppendField(head, "Transfer-Encoding", "chunked");
  AppendField(head, "Connection", keep_alive && chunked ? "keep-alive" : "close");
  head.append("\r\n");
  return head;
}

std::string OwnEventStreamHead(unsigned version, bool keep_alive) {
  http::response_header<> ok;
  ok.result(http::status::ok);
  return EventStreamHead(ok, version, keep_alive);
}

ChunkSizeLine::ChunkSizeLine(std::size_t size) {
  char* end = std::to_chars(line_.data(), line_.data() + line_.size(), size,
                            16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  length_ = static_cast<std::size_t>(end - line_.data());
}

}  // namespace mcpgw::gateway
