#pragma once
// HTTP/1.1 heads written by hand, for the messages of the proxy's hot path
// whose shape the gateway knows (HTTP/1.1, a Content-Length body): a
// request to an instance, an instance's whole answer to its client. Beast's
// serializer walks its buffer sequences (start line, each field) piece by
// piece, a few per cent of a proxied request's CPU; this is one string,
// sent with the body in one gathered write. Field names and values are
// written as they are: Beast's parser, or the gateway itself, made them.

#include <string>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// "METHOD target HTTP/1.1\r\n" + fields + "\r\n".
std::string RequestHead(const http::request_header<>& request);
// "HTTP/1.1 code reason\r\n" + fields + "\r\n".
std::string ResponseHead(const http::response_header<>& response);

}  // namespace mcpgw::gateway
