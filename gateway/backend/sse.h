#pragma once
// Server-Sent Events: an incremental parser for what an instance sends, and
// the writer for what the gateway sends. Pure.
//
// The gateway re-frames every event an instance streams: it keeps the event's
// type and data and gives it an id of its own, so that ids are unique within
// a gateway session whatever instance produced them (see event_stream.h).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgw::gateway {

struct SseEvent {
  std::string type;  // "event:" field; empty means "message"
  std::string data;  // "data:" lines joined by '\n'
  std::string id;    // "id:" field as the instance sent it
};

class SseParser {
 public:
  // Longest event (or line) accepted; a longer one makes the parser fail
  // rather than grow without bound.
  // (Event streams outside sessions are relayed as they come, with no event
  // held whole; this bounds those the gateway re-frames.)
  static constexpr std::size_t kMaxEventBytes = 64 * 1024 * 1024;

  // Feeds bytes as they arrive; complete events are appended to `out`.
  // Returns false (and stays failed) when an event is too large.
  bool Feed(std::string_view bytes, std::vector<SseEvent>& out);
  bool failed() const { return failed_; }

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>& out);

  std::string line_;
  bool after_cr_ = false;  // a '\n' right after '\r' ends nothing new
  SseEvent pending_;
  bool has_data_ = false;
  bool failed_ = false;
};

// One event on the wire: "id:", "event:" (when not a plain message) and one
// "data:" line per line of `data`, then the blank line.
std::string FormatSseEvent(std::string_view id, std::string_view type,
                           std::string_view data);

// An SSE `retry:` field alone: sets how long the client waits before it
// reconnects, and dispatches no event (no data), so no client mistakes it
// for a message.
std::string FormatSseRetry(std::chrono::milliseconds after);

// A comment line, which clients ignore: keeps idle streams from being cut by
// proxies and tells the client the gateway is alive.
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

}  // namespace mcpgw::gateway
