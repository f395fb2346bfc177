#include "gateway/backend/sse.h"

#include "common/text.h"

namespace mcpgw::gateway {

bool SseParser::Feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  for (const char c : bytes) {
    if (c == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      ProcessLine(line_, out);
      line_.clear();
      continue;
    }
    line_.push_back(c);
    if (line_.size() + pending_.data.size() > kMaxEventBytes) {
      failed_ = true;
      return false;
    }
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
    const auto end = data.find_first_of("\r\n", start);
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
