#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgw::loadtest {

// What became of one request. Everything but kOk counts as an error.
enum class Outcome : std::uint8_t {
  kOk,
  kHttpStatus,   // status outside 2xx
  kRpcError,     // JSON-RPC error object with our id
  kToolError,    // result with isError: true (e.g. the SQL failed)
  kWrongId,      // JSON-RPC response(s), none with our id
  kBadResponse,  // unknown content type, unparsable JSON/SSE, no response at all
  kTransport,    // connect / write / read failed
  kTimeout,      // --timeout expired
  kHttpProtocol, // not valid HTTP/1.1 (e.g. junk after a response) or an answer cut short
};
inline constexpr std::size_t kOutcomeCount = 9;

std::string_view OutcomeName(Outcome o);

// The data of each `message` event in an SSE body (multi-line data joined by '\n').
// Pure; tolerates CRLF, comments, and a last event without its blank line.
std::vector<std::string> SseMessageData(std::string_view body);

// Decides whether an HTTP answer is a JSON-RPC success for request `expected_id`.
// Accepts `application/json` (single response or batch) and `text/event-stream`.
Outcome ClassifyResponse(unsigned status, std::string_view content_type, std::string_view body,
                         std::uint64_t expected_id);

// Body of a `tools/call` request, split around the id so that a request costs one
// concatenation: prefix + id + suffix.
struct RequestBody {
  std::string prefix;
  std::string suffix;
  std::string With(std::uint64_t id) const;
};
RequestBody MakeToolCallBody(const std::string& tool, const std::string& sql);
// Same with the arguments given as a JSON object's text.
RequestBody MakeToolCallBodyWithArguments(const std::string& tool, const std::string& arguments);
// `initialize` announcing `protocol_version`, and `notifications/initialized`.
RequestBody MakeInitializeBody(const std::string& protocol_version);
std::string InitializedNotification();
// The protocolVersion of an initialize answer (JSON or SSE); empty if none.
std::string NegotiatedProtocolVersion(std::string_view content_type, std::string_view body);

}  // namespace mcpgw::loadtest
