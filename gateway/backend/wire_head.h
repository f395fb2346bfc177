#pragma once
// The head of an instance's whole answer to its client, written by hand
// for the proxy's hot path (HTTP/1.1, a Content-Length body; requests to an
// instance are written the same way, backend_request.h). Beast's
// serializer walks its buffer sequences (start line, each field) piece by
// piece, a few per cent of a proxied request's CPU; this is one string,
// sent with the body in one gathered write. Field names and values are
// written as they are: Beast's parser, or the gateway itself, made them.

#include <string>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// "HTTP/1.1 code reason\r\n" + fields + "\r\n".
std::string ResponseHead(const http::response_header<>& response);

}  // namespace mcpgw::gateway
