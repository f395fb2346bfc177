#pragma once
// Reads values back out of a Prometheus text exposition.

#include <map>
#include <optional>
#include <string>

namespace mcpgw::it {

// The value of the sample `name` whose labels are exactly `labels`;
// nullopt if there is none.
std::optional<double> MetricValue(
    const std::string& exposition, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

}  // namespace mcpgw::it
