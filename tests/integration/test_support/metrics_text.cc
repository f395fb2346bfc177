#include "test_support/metrics_text.h"

#include <sstream>

namespace mcpgw::it {

std::optional<double> MetricValue(
    const std::string& exposition, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string sample_name =
        line.substr(0, std::min(brace, line.find(' ')));
    if (sample_name != name) continue;
    std::map<std::string, std::string> found;
    if (brace != std::string::npos && brace < space) {
      const auto close = line.find('}', brace);
      std::string inner = line.substr(brace + 1, close - brace - 1);
      std::size_t pos = 0;
      while (pos < inner.size()) {
        const auto eq = inner.find('=', pos);
        const auto q1 = inner.find('"', eq);
        const auto q2 = inner.find('"', q1 + 1);
        found[inner.substr(pos, eq - pos)] = inner.substr(q1 + 1, q2 - q1 - 1);
        pos = q2 + 1;
        if (pos < inner.size() && inner[pos] == ',') ++pos;
      }
    }
    if (found == labels) return std::stod(line.substr(space + 1));
  }
  return std::nullopt;
}

}  // namespace mcpgw::it
