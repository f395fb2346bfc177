#pragma once
// A small blocking HTTP(S) GET for documents the gateway reads from other
// services (OpenID discovery, JWKS): bounded in time and size, TLS verified.

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace mcpgw::gateway {

// The body of a 200 answer; Unavailable (unreachable, timeout, other
// status) with the URL and the reason otherwise.
using HttpGetFunction = std::function<absl::StatusOr<std::string>(const std::string& url)>;

// A GET through libcurl, at most `timeout` in all and 1 MiB of body.
HttpGetFunction CurlHttpGet(std::chrono::milliseconds timeout);

}  // namespace mcpgw::gateway
