#pragma once
// What crosses the gateway in each direction, decided without I/O.

#include "gateway/backend/backend_request.h"
#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// The request the instance receives: the client's method, target, body and
// end-to-end headers, minus its credentials (Authorization, X-DBHub-DSN,
// Cookie), its Origin, the gateway's session and event ids and every
// hop-by-hop header; with Host rewritten for
// the instance (DBHub refuses hosts it does not know) and the instance's own
// bearer token. HTTP/1.1 whatever the client spoke, kept alive, the body
// with its length. `instance_fields`: the instance's Host and token as they
// go on the wire (runtime::Lease::request_fields).
BackendRequest BuildBackendRequest(const Request& client_request,
                                   std::string_view instance_fields);

// A request of the gateway's own to an instance's MCP endpoint (a batch's
// part, a legacy-transport message, a re-initialization).
BackendRequest NewBackendRequest(http::verb method, std::string body,
                                 std::string_view protocol_version,
                                 std::string_view instance_fields);

// Strips from an instance's response what must not reach the client:
// hop-by-hop headers (framing is redone by the gateway) and headers that
// describe the instance rather than the gateway (its CORS policy for
// http://localhost, X-Powered-By).
void CleanBackendResponseHeaders(http::fields& fields);

}  // namespace mcpgw::gateway
