#include "gateway/backend/sse.h"

#include <cstring>

#include "common/text.h"

namespace mcpgw::gateway {

namespace {

// The first CR or LF at or after `from`, or npos. Two memchr (the C
// library's, tens of bytes a step): every byte of an event in a session
// passes here twice, once read and once written, and a loop comparing each
// byte with both cost ~4 instructions a byte (issue 19).
std::size_t FindLineEnd(std::string_view text, std::size_t from) {
  if (from >= text.size()) return std::string_view::npos;
  const char* const begin = text.data() + from;
  const std::size_t length = text.size() - from;
  const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', length));
  const std::size_t before_lf =
      lf != nullptr ? static_cast<std::size_t>(lf - begin) : length;
  const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', before_lf));
  if (cr != nullptr) return from + static_cast<std::size_t>(cr - begin);
  return lf != nullptr ? from + before_lf : std::string_view::npos;
}

}  // namespace

bool SseParser::Feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  std::size_t start = 0;
  while (start < bytes.size()) {
    // The LF of a CRLF split across two pieces, or right after its CR.
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[start] == '\n') {
        ++start;
        continue;
      }
    }
    const std::size_t end = FindLineEnd(bytes, start);
    const std::string_view piece =
        bytes.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                          : end - start);
    if (line_.size() + piece.size() + pending_.data.size() > kMaxEventBytes) {
      failed_ = true;
      return false;
    }
    if (end == std::string_view::npos) {  // the line goes on in the next piece
      line_.append(piece);
      break;
    }
    if (line_.empty()) {
      ProcessLine(piece, out);  // the whole line is in this piece: no copy
    } else {
      line_.append(piece);
      ProcessLine(line_, out);
      line_.clear();
    }
    after_cr_ = bytes[end] == '\r';
    start = end + 1;
  }
  return true;
}

void SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    // Dispatch. An event without data is not dispatched (HTML, 9.2.6).
    if (has_data_) out.push_back(std::move(pending_));
    pending_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment
  const auto colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.type = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      pending_.id = std::string(value);
    }
  }
  // "retry" and unknown fields: the gateway sets its own reconnection policy.
}

std::string FormatSseEvent(std::string_view id, std::string_view type,
                           std::string_view data) {
  std::string wire;
  wire.reserve(data.size() + id.size() + type.size() + 32);
  const auto line = [&wire](std::string_view field, std::string_view value) {
    wire.append(field);
    wire.append(": ");
    wire.append(value);
    wire.push_back('\n');
  };
  if (!id.empty()) line("id", id);
  if (!type.empty() && type != "message") {
    line("event", type);
  }
  std::size_t start = 0;
  while (true) {
    // Any of CR, LF, CRLF ends a line in SSE: each becomes its own data line.
    const auto end = FindLineEnd(data, start);
    line("data", data.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') {
      ++start;
    }
  }
  wire.push_back('\n');
  return wire;
}

std::string FormatSseRetry(std::chrono::milliseconds after) {
  return text::Cat("retry: ", after.count(), "\n\n");
}

}  // namespace mcpgw::gateway
