// libFuzzer target: an SSE event parser fed arbitrary bytes.
//
// Today this is the load generator's SseMessageData (load-tests/mcp_load), the
// only SSE parser in the tree. When the gateway gets its own (SSE event ids and
// Last-Event-ID replay in gateway/), point ParseUnderTest at it: the checks
// below hold for any parser that splits a body into `message` events.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_load/mcp_response.h"

namespace {

std::vector<std::string> ParseUnderTest(std::string_view body) {
  return mcpgw::loadtest::SseMessageData(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> events = ParseUnderTest(body);
  // Every byte of every event's data comes from the input, plus at most one
  // '\n' per joined line: the output can never be larger than the input.
  std::size_t total = 0;
  for (const std::string& e : events) total += e.size();
  if (total > size) std::abort();
  // Deterministic: the same bytes give the same events.
  if (ParseUnderTest(body) != events) std::abort();
  // The response classifier built on it must accept anything without crashing.
  (void)mcpgw::loadtest::ClassifyResponse(200, "text/event-stream", body, 1);
  (void)mcpgw::loadtest::ClassifyResponse(200, "application/json", body, 1);
  return 0;
}
