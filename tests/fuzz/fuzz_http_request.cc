// libFuzzer target: the HTTP request path up to the routing decision. The
// bytes go through Beast's request parser with the gateway's own limits
// (header and body bounds as in gateway/http/http_server.cc), and every request
// that parses goes through DecideMcpRoute, the JSON-RPC id extraction and the
// classifier, exactly as a connection would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/mcp/mcp_route.h"

namespace {

namespace gw = mcpgw::gateway;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gw::http::request_parser<gw::http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  gw::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(data, size), ec);
  (void)used;
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;

  const gw::Request& request = parser.get();
  const gw::McpRoute route = gw::DecideMcpRoute(request, "fuzz-key-secret");
  if (const auto* error = std::get_if<gw::ErrorReply>(&route)) {
    const int status = static_cast<int>(error->status);
    if (status < 400 || status > 599) std::abort();
    const auto id = gw::RequestIdOf(request.body());
    const gw::Response response = gw::MakeErrorResponse(*error, id, request.version(), false);
    if (response.body().empty()) std::abort();
  }
  (void)gw::DescribeMcpRequest(request.method(), request.body());
  return 0;
}
