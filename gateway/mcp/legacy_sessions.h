#pragma once
// Sessions of the 2024-11-05 HTTP+SSE transport, which the gateway serves
// itself: GET /sse opens one and holds its event stream; POST
// /messages?sessionId= hands it messages, whose answers go out on that
// stream. They live as long as their stream's connection, in this process
// only (the transport offers no way to resume).

#include <memory>
#include <string>
#include <unordered_map>

#include "common/mutex.h"
#include "gateway/mcp/event_stream.h"
#include "policies/session_token.h"
#include "policies/target.h"

namespace mcpgw::gateway {

struct LegacySession {
  LegacySession(std::string id, policies::Target target,
                std::shared_ptr<EventStream> stream)
      : id(std::move(id)), target(std::move(target)), stream(std::move(stream)) {}

  const std::string id;
  const policies::Target target;
  const std::shared_ptr<EventStream> stream;

  // What initialize told: kept to initialize a new instance again.
  policies::SessionClaims Claims();
  void SetClaims(policies::SessionClaims claims);

 private:
  Mutex mutex_;
  policies::SessionClaims claims_ ABSL_GUARDED_BY(mutex_);
};

class LegacySessions {
 public:
  LegacySessions(ReplayLimits limits, const common::Clock& clock)
      : limits_(limits), clock_(clock) {}

  std::shared_ptr<LegacySession> Open(policies::Target target);
  // The session `id` if it belongs to `target_key`, else nullptr.
  std::shared_ptr<LegacySession> Find(const std::string& id,
                                      const std::string& target_key);
  void Close(const std::string& id);
  // Ends every stream (shutdown): their clients see them end cleanly.
  void FinishAll();
  std::size_t size();

 private:
  const ReplayLimits limits_;
  const common::Clock& clock_;
  Mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<LegacySession>> sessions_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::gateway
