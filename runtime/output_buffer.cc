#include "runtime/output_buffer.h"

namespace mcpgw::runtime {

OutputBuffer::OutputBuffer(common::Redactor redactor, std::size_t max_bytes)
    : redactor_(std::move(redactor)), max_bytes_(max_bytes) {}

void OutputBuffer::Append(std::string_view chunk) {
  MutexLock lock(mutex_);
  for (char c : chunk) {
    if (c == '\n') {
      PushLineLocked(std::move(partial_));
      partial_.clear();
    } else if (c != '\r' && partial_.size() < kMaxLineBytes) {
      partial_.push_back(c);
    }
  }
}

void OutputBuffer::Flush() {
  MutexLock lock(mutex_);
  if (!partial_.empty()) {
    PushLineLocked(std::move(partial_));
    partial_.clear();
  }
}

void OutputBuffer::PushLineLocked(std::string line) {
  std::string clean = redactor_.Apply(line);
  bytes_ += clean.size() + 1;
  lines_.push_back(std::move(clean));
  while (bytes_ > max_bytes_ && !lines_.empty()) {
    bytes_ -= lines_.front().size() + 1;
    lines_.pop_front();
  }
}

std::vector<std::string> OutputBuffer::Lines() const {
  MutexLock lock(mutex_);
  return {lines_.begin(), lines_.end()};
}

std::string OutputBuffer::Text() const {
  std::string text;
  for (const auto& line : Lines()) {
    text += line;
    text += '\n';
  }
  return text;
}

std::string OutputBuffer::Redacted(common::Redactor redactor,
                                   std::string_view text) {
  OutputBuffer buffer(std::move(redactor));
  buffer.Append(text);
  buffer.Flush();
  return buffer.Text();
}

}  // namespace mcpgw::runtime
