#include "tests/harness/mcp_messages.h"

#include <sstream>

#include "tests/harness/gateway_under_test.h"

namespace mcpgw::harness {

std::string RpcRequest(int id, const std::string& method,
                       nlohmann::json params) {
  return nlohmann::json{{"jsonrpc", "2.0"},
                        {"id", id},
                        {"method", method},
                        {"params", std::move(params)}}
      .dump();
}

HeaderList DsnHeaders() { return HeaderList().Add("X-DBHub-DSN", kDsn); }

HeaderList SessionHeaders(const std::string& session) {
  return DsnHeaders()
      .Add("Mcp-Session-Id", session)
      .Add("MCP-Protocol-Version", kRevision);
}

std::string OpenSession(std::uint16_t port, const std::string& revision) {
  const std::string body = RpcRequest(
      0, "initialize",
      {{"protocolVersion", revision},
       {"capabilities", nlohmann::json::object()},
       {"clientInfo", {{"name", "harness"}, {"version", "1"}}}});
  RawClient client(port);
  const auto answer = client.Exchange(PostRequest(port, "/mcp", body, DsnHeaders()));
  if (answer.status != 200) return "";
  return answer.Header("mcp-session-id");
}

std::vector<SseFrame> ParseSse(const std::string& body) {
  std::vector<SseFrame> frames;
  SseFrame frame;
  bool any = false;
  std::size_t start = 0;
  while (start < body.size()) {
    const auto end = body.find('\n', start);
    if (end == std::string::npos) break;  // a cut line: not an event
    const std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      if (any) frames.push_back(std::move(frame));
      frame = SseFrame{};
      any = false;
      continue;
    }
    const auto colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value =
        colon == std::string::npos ? std::string() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    any = true;
    if (field.empty()) {
      frame.comments.push_back(value);
    } else if (field == "id") {
      frame.id = value;
    } else if (field == "event") {
      frame.event = value;
    } else if (field == "data") {
      if (!frame.data.empty()) frame.data += "\n";
      frame.data += value;
    } else if (field == "retry") {
      frame.retry = value;
    }
  }
  return frames;
}

std::vector<nlohmann::json> SseMessages(const std::string& body) {
  std::vector<nlohmann::json> messages;
  for (const auto& frame : ParseSse(body)) {
    if (frame.data.empty()) continue;
    messages.push_back(nlohmann::json::parse(frame.data, nullptr, false));
  }
  return messages;
}

}  // namespace mcpgw::harness
