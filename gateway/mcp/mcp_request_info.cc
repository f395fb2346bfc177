#include "gateway/mcp/mcp_request_info.h"

#include <nlohmann/json.hpp>

namespace mcpgw::gateway {
namespace {

constexpr std::size_t kMaxNameChars = 64;

std::string Printable(std::string_view text) {
  // Sized once and written in place: appending a character at a time
  // checks the capacity for each (every request's method and tool pass
  // here, issue 19).
  std::string out(text.substr(0, kMaxNameChars));
  for (char& c : out) {
    if (c <= 0x20 || c >= 0x7f) c = '_';
  }
  return out;
}

// A message with the string method `method` and, when params.name is a
// string, `name`.
McpRequestInfo DescribeMessage(std::string_view method,
                               const std::string* name) {
  McpRequestInfo info;
  info.method = Printable(method);
  if (info.method == "tools/call" && name != nullptr) {
    info.tool = Printable(*name);
  }
  return info;
}

}  // namespace

McpRequestInfo DescribeMcpRequest(http::verb verb, std::string_view body) {
  if (verb != http::verb::post) return DescribeParsedMcpRequest(verb, nlohmann::json());
  return DescribeParsedMcpRequest(
      verb, nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false));
}

McpRequestInfo DescribeParsedMcpRequest(http::verb verb,
                                        const nlohmann::json& parsed) {
  McpRequestInfo info;
  if (verb != http::verb::post) {
    info.method = std::string(http::to_string(verb));
    return info;
  }
  if (parsed.is_array()) {
    info.method = "batch";
    return info;
  }
  const auto method =
      parsed.is_object() ? parsed.find("method") : parsed.end();
  if (method == parsed.end() || !method->is_string()) {
    info.method = "invalid";
    return info;
  }
  const std::string& method_name = method->get_ref<const std::string&>();
  const std::string* name = nullptr;
  // Only a tools/call names its tool (Printable keeps "tools/call" as is).
  const auto params = method_name == "tools/call" ? parsed.find("params")
                                                  : parsed.end();
  if (params != parsed.end() && params->is_object()) {
    const auto name_it = params->find("name");
    if (name_it != params->end() && name_it->is_string()) {
      name = &name_it->get_ref<const std::string&>();
    }
  }
  return DescribeMessage(method_name, name);
}

McpRequestInfo DescribeSummarizedMcpRequest(const MessageSummary& summary) {
  return DescribeMessage(summary.method,
                         summary.name ? &*summary.name : nullptr);
}

}  // namespace mcpgw::gateway
