#pragma once
// Reads of an instance's answer into its parser: what Beast's
// http::async_read_header and http::async_read_some do, from the
// connection's socket. Beast's go through three composed operations and the
// stream's timeout layer for every read, and finish a read that only parsed
// bytes already buffered with a round through the loop; the coroutine that
// reads needs none of it (issue 19, docs/benchmarks.md raw_capacity). A
// read is bounded by the connection's StartRead/EndRead; a connection bound
// by Beast's timer (another loop's) is read through Beast's stream, which
// applies it.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "gateway/backend/backend_connections.h"

namespace mcpgw::gateway {

enum class ReadUntil {
  kProgress,  // the parser took some bytes (http::async_read_some)
  kHead,      // the parser has the whole head (http::async_read_header)
};

// Parses what the connection's buffer holds, reading from the instance
// when the parser needs more, until `until`. The error is Beast's for the
// same case: need_buffer when body bytes wait for room, end_of_stream when
// the instance closed before an answer began, the parser's own.
asio::awaitable<beast::error_code> ReadAnswer(BackendConnection& connection,
                                              http::basic_parser<false>& parser,
                                              ReadUntil until);

}  // namespace mcpgw::gateway
