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
  info.method = Printable(method->get_ref<const std::string&>());
  if (info.method == "tools/call") {
    const auto params = parsed.find("params");
    if (params != parsed.end() && params->is_object()) {
      const auto name = params->find("name");
      if (name != params->end() && name->is_string()) {
        info.tool = Printable(name->get_ref<const std::string&>());
      }
    }
  }
  return info;
}

}  // namespace mcpgw::gateway
