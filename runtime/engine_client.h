#pragma once
// HTTP to the container engine's REST API (Docker Engine API; Podman's
// Docker-compatible service): one libcurl request per call, over a unix
// socket or TCP (optionally TLS). Moves bytes only; the JSON is
// docker_engine's business.

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/docker_host.h"

namespace mcpgw::runtime {

struct EngineResponse {
  long status = 0;
  std::string body;
};

class EngineClient {
 public:
  // API version prefix of every path: 1.41 is served by Docker 20.10 and
  // later and by Podman's compatibility layer.
  static constexpr const char* kApiVersion = "v1.41";

  explicit EngineClient(EngineAddress address);

  // `method` GET/POST/DELETE, `path` e.g. "/containers/create?name=x" (the
  // version prefix is added). `body` is sent as application/json. A timeout
  // of zero waits forever (the wait endpoint). Errors: Unavailable when the
  // engine cannot be reached; any HTTP status is a response.
  absl::StatusOr<EngineResponse> Call(
      const std::string& method, const std::string& path,
      const std::optional<std::string>& body,
      std::chrono::milliseconds timeout) const;

  // GET `path` and hand every line of the answer to `on_line` as it comes
  // (the events endpoint streams newline-delimited JSON). Returns when the
  // engine ends the answer, the connection breaks (Unavailable), or
  // `should_stop` returns true (checked at least once a second).
  absl::Status Stream(const std::string& path,
                      const std::function<void(std::string_view)>& on_line,
                      const std::function<bool()>& should_stop) const;

  const EngineAddress& address() const { return address_; }

 private:
  const EngineAddress address_;
};

}  // namespace mcpgw::runtime
