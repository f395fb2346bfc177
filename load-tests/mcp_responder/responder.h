#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace mcpgw::loadtest {

// What the responder does with one POST /mcp body. Pure, so that it is tested
// without sockets.
struct ResponderAnswer {
  enum class Kind {
    kSse,       // 200, text/event-stream, `events` in one go
    kAccepted,  // 202, no body (a notification or a response)
    kHold,      // 200, text/event-stream: `events` now, then one notification
                // every `interval` until `hold` has passed, then `final_event`
    kBadRequest // 400, `events` is a JSON-RPC error object (not SSE)
  };
  Kind kind = Kind::kSse;
  std::string events;       // SSE bytes (or the error JSON for kBadRequest)
  std::string final_event;  // kHold only
  std::chrono::milliseconds hold{0};
  std::chrono::milliseconds interval{0};
};

// Limits on what a `hold` call may ask for, so that a typo cannot keep the
// responder busy for hours.
inline constexpr std::chrono::milliseconds kMaxHold = std::chrono::minutes(10);
inline constexpr std::chrono::milliseconds kMinHoldInterval{10};
inline constexpr std::chrono::milliseconds kDefaultHoldInterval{1000};

// Decides the answer to a JSON-RPC request body:
//   initialize            -> result {protocolVersion (the client's), capabilities, serverInfo}
//   notifications/*, a response (no method)  -> 202
//   ping                  -> result {}
//   tools/list            -> execute_sql and hold
//   tools/call execute_sql -> result with one text content `[{"ok":1}]`, at once
//   tools/call hold {hold_ms, interval_ms} -> kHold: a notifications/message at
//                           once, one per interval, the result after hold_ms
//   anything else         -> JSON-RPC error -32601 (in SSE, like DBHub)
ResponderAnswer Respond(std::string_view body);

// One SSE `message` event carrying `json`.
std::string SseEvent(std::string_view json);

// The notification a held stream sends every interval (`seq` counts from 0).
std::string HoldNotification(std::uint64_t seq);

}  // namespace mcpgw::loadtest
