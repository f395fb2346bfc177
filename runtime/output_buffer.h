#pragma once
// The tail of what an instance printed, bounded, line by line, redacted as it
// arrives so that no secret is ever held in a buffer someone can read.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/redaction.h"

namespace mcpgw::runtime {

class OutputBuffer {
 public:
  static constexpr std::size_t kDefaultMaxBytes = 64 * 1024;
  static constexpr std::size_t kMaxLineBytes = 4 * 1024;

  explicit OutputBuffer(common::Redactor redactor,
                        std::size_t max_bytes = kDefaultMaxBytes);

  void Append(std::string_view chunk);
  // Ends a partial last line (at EOF).
  void Flush();

  std::vector<std::string> Lines() const;
  std::string Text() const;

  // `text` (an engine's or the API server's log tail) redacted the same
  // way, as one block.
  static std::string Redacted(common::Redactor redactor, std::string_view text);

 private:
  void PushLineLocked(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const common::Redactor redactor_;
  const std::size_t max_bytes_;
  mutable Mutex mutex_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mutex_);
  std::size_t bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  std::string partial_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::runtime
