#pragma once
// What the harness tests send and look for: JSON-RPC requests, the
// credentials header, a session opened through the gateway, and the events
// of an SSE body.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/harness/raw_client.h"

namespace mcpgw::harness {

inline constexpr const char* kRevision = "2025-11-25";

// A notification an instance sends in the middle of an answer.
inline const nlohmann::json kProgress = {
    {"jsonrpc", "2.0"},
    {"method", "notifications/progress"},
    {"params", {{"progressToken", "p"}, {"progress", 1}}}};

std::string RpcRequest(int id, const std::string& method,
                       nlohmann::json params = nlohmann::json::object());
// X-DBHub-DSN: kDsn.
HeaderList DsnHeaders();
// DsnHeaders with the session and the protocol revision.
HeaderList SessionHeaders(const std::string& session);

// Initializes through the gateway; returns the gateway's Mcp-Session-Id
// ("" when it gave none).
std::string OpenSession(std::uint16_t port,
                        const std::string& revision = kRevision);

struct SseFrame {
  std::string id;
  std::string event;
  std::string data;
  std::string retry;
  std::vector<std::string> comments;
};
// The complete events of an SSE body (a cut last one is left out).
std::vector<SseFrame> ParseSse(const std::string& body);
// The messages (data parsed as JSON) of those events that carry data.
std::vector<nlohmann::json> SseMessages(const std::string& body);

}  // namespace mcpgw::harness
