// libFuzzer target: the JSON-RPC classifier that names a request for the
// access log and the metrics. Any body, any verb: it must not crash, and what
// it returns must stay bounded and printable (it ends up in logs and labels).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/mcp_request_info.h"

namespace {

bool Printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gw = mcpgw::gateway;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto verb : {gw::http::verb::post, gw::http::verb::get, gw::http::verb::delete_}) {
    const gw::McpRequestInfo info = gw::DescribeMcpRequest(verb, body);
    // Bounded: a client cannot blow up a log line or a metric label.
    if (info.method.size() > 256 || info.tool.size() > 256) std::abort();
    if (!Printable(info.method) || !Printable(info.tool)) std::abort();
  }
  return 0;
}
