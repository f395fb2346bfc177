// libFuzzer target: the HTTP request path up to the routing decision. The
// bytes go through Beast's request parser with the gateway's own limits
// (header and body bounds as in gateway/http/http_server.cc), and every request
// that parses goes through DecideMcpRoute, the JSON-RPC id extraction and the
// classifier, exactly as a connection would. The same bytes also go
// through ParsePlainRequest, the gateway's own read of plain requests: what
// it takes, Beast must read the same (method, target, version, fields,
// body, bytes taken), and where it waits for more, Beast must not have a
// whole request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/http/plain_request.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/mcp/mcp_route.h"
#include "tests/common/beast_request_read.h"

namespace {

namespace gw = mcpgw::gateway;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;

void CheckPlainParseAgreesWithBeast(std::string_view bytes) {
  using Outcome = gw::PlainParse::Outcome;
  gw::Request plain;
  const gw::PlainParse parse = gw::ParsePlainRequest(
      bytes, gw::PlainRequestLimits{kHeaderLimit, kBodyLimit}, plain);
  if (parse.outcome == Outcome::kUseBeast) return;
  const auto beast =
      gw::testing::ReadWithBeastParser(bytes, kHeaderLimit, kBodyLimit);
  if (parse.outcome == Outcome::kNeedMore) {
    if (beast.has_value()) std::abort();  // it would wait on a whole request
    return;
  }
  if (!beast.has_value() || beast->consumed != parse.consumed ||
      !gw::testing::RequestDifference(plain, beast->request).empty()) {
    std::abort();
  }
}

// The input's lines as the fields of a POST (the rest after an empty line
// as its body): whole requests for the plain parse to take, which raw
// mutations seldom leave (a field's spaces, folds, lengths, bytes).
std::string AsRequestFields(std::string_view input) {
  std::string request = "POST /mcp HTTP/1.1\r\n";
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    request.append(line).append("\r\n");
    if (line.empty()) {
      request.append(input.substr(std::min(end + 1, input.size())));
      return request;
    }
    start = end + 1;
  }
  request.append("\r\n");
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckPlainParseAgreesWithBeast(input);
  CheckPlainParseAgreesWithBeast(AsRequestFields(input));
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
