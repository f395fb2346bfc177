#pragma once
#include <string>
#include <vector>

namespace mcpgw::runtime {

// One sentence saying why a DBHub process ended, from its last output lines
// (already redacted) and its wait status: DBHub's own "Fatal error" text when
// it printed one, else (when it exited by itself) its last line, else the
// exit status.
std::string SummarizeExit(const std::vector<std::string>& lines,
                          int wait_status);

// "exited with status 1", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace mcpgw::runtime
