#pragma once
// Who may talk to the gateway from a browser: the Host header against DNS
// rebinding (a hostile page whose name resolves to 127.0.0.1), the Origin
// header against cross-site requests. A pure decision.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/target.h"

namespace mcpgw::policies {

struct OriginPolicy {
  // Host names (or host:port) accepted besides the loopback ones (localhost,
  // 127.0.0.0/8, ::1), e.g. the name a reverse proxy forwards. "*": any.
  std::vector<std::string> allowed_hosts;
  // Origins accepted besides same-host ones, as scheme://host[:port].
  // "*": any.
  std::vector<std::string> allowed_origins;
};

// nullopt when the request may proceed; else 400 (no Host) or 403.
// A request without Origin (any non-browser client) passes the Origin check.
std::optional<Refusal> CheckHostAndOrigin(std::optional<std::string_view> host,
                                          std::optional<std::string_view> origin,
                                          const OriginPolicy& policy);

}  // namespace mcpgw::policies
