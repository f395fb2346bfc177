#pragma once
// HTTP/1.x written by hand for the proxy's hot path: a response head, a
// field line, the chunked coding's framing. Beast's serializer walks its
// buffer sequences (start line, each field) piece by piece, a few per cent
// of a proxied request's CPU; a head here is one string, sent with the
// body in one gathered write (requests to an instance are written the same
// way, backend_request.h). Field names and values are written as they are:
// Beast's parser, or the gateway itself, made them.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// "HTTP/1.x code reason\r\n" + fields + "\r\n", byte for byte what Beast
// writes for the same head.
std::string ResponseHead(const http::response_header<>& response);

// The head of an event stream the gateway writes for `from` (an instance's
// answer, or a head of its own): `from`'s status and fields, less its
// framing and caching fields, in HTTP/1.`version % 10`, then
// "Content-Type: text/event-stream", "Cache-Control: no-cache",
// "Transfer-Encoding: chunked" (HTTP/1.1: the events go as chunks; HTTP/1.0
// has none and the stream ends with the connection) and "Connection". Byte
// for byte what Beast writes for a copy of `from` with those fields set;
// `from` itself is only read.
std::string EventStreamHead(const http::response_header<>& from,
                            unsigned version, bool keep_alive);
// The same for a stream of the gateway's own: "200 OK" and those fields.
std::string OwnEventStreamHead(unsigned version, bool keep_alive);

// "name: value\r\n".
void AppendField(std::string& out, std::string_view name,
                 std::string_view value);

// Chunked transfer coding (RFC 9112 7.1): the line before a chunk of
// `size` bytes ("<hex>\r\n"; a chunk is followed by "\r\n"), and the last
// chunk with no trailer.
class ChunkSizeLine {
 public:
  explicit ChunkSizeLine(std::size_t size);
  std::string_view text() const { return {line_.data(), length_}; }

 private:
  std::array<char, 2 * sizeof(std::size_t) + 2> line_;
  std::size_t length_;
};
inline constexpr std::string_view kChunkEnd = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace mcpgw::gateway
