#include "runtime/exit_reason.h"

#include <sys/wait.h>

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/text.h"

namespace mcpgw::runtime {

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return text::Cat("exited with status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return text::Cat("killed by signal ", WTERMSIG(wait_status));
  }
  return "ended";
}

std::string SummarizeExit(const std::vector<std::string>& lines,
                          int wait_status) {
  std::string_view reason;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    std::string_view line = *it;
    if (line.starts_with("Fatal error: ")) {
      line.remove_prefix(std::string_view("Fatal error: ").size());
      if (line.starts_with("Error: ")) line.remove_prefix(7);
      reason = line;
      break;
    }
  }
  // A process killed by a signal said nothing about why; its last line is
  // whatever it happened to print before.
  if (reason.empty() && !WIFSIGNALED(wait_status)) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      std::string_view line = text::StripWhitespace(*it);
      // Skip the tail of a stack trace or an object dump.
      if (line.empty() || line.starts_with("at ") || line == "}" ||
          line.ends_with(",")) {
        continue;
      }
      reason = line;
      break;
    }
  }
  const std::string status = DescribeWaitStatus(wait_status);
  if (reason.empty()) return status;
  return text::Cat(reason, " (", status, ")");
}

}  // namespace mcpgw::runtime
