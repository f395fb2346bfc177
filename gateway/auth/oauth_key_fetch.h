#pragma once
// The OAuth listener verifies access tokens against cached keys only
// (policies::AccessTokenVerifier::Verify never fetches). Fetching a
// provider's keys is an HTTPS request that may take seconds, so it never
// runs on an I/O thread: before the route decision, the keys a request's
// token needs and the cache lacks (a rotated key, or none fetched yet) are
// fetched on the blocking-work pool while the request waits; keys past
// their maximum age are refreshed there without anyone waiting.

#include <boost/asio/thread_pool.hpp>

#include "gateway/http/http_types.h"
#include "policies/target.h"

namespace mcpgw::gateway {

// `verifier` null (not the OAuth listener): nothing to do. `blocking` null:
// fetches run in place (tests).
asio::awaitable<void> FetchMissingOAuthKeys(
    const policies::AccessTokenVerifier* verifier, const Request& request,
    asio::thread_pool* blocking);

}  // namespace mcpgw::gateway
