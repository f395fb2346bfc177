#pragma once
// Writing a short message (an answer to the client, a request to an
// instance) without an asynchronous operation when the socket can take it
// at once, which is nearly always: nginx writes so too.
//
// An asynchronous write through beast::tcp_stream arms a timer and cancels
// it, queues its completion through the loop and resumes the coroutine
// after it, for a write the kernel had taken on the spot (issue 19,
// docs/benchmarks.md raw_capacity). WriteNow makes one non-blocking
// gathered send; only what the socket's buffer had no room for goes by
// WriteRest, asynchronously and bound by its timeout as before.

#include <array>
#include <chrono>
#include <cstddef>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

using WritePieces = std::array<asio::const_buffer, 2>;

// Sends what the socket takes of `pieces` now (puts the socket in
// non-blocking mode the first time); the bytes sent. `error`: the
// connection failed. A full send buffer is no error: fewer bytes than
// `pieces` hold are sent, perhaps none, and WriteRest sends the rest.
std::size_t WriteNow(tcp::socket& socket, const WritePieces& pieces,
                     beast::error_code& error);

// Writes `pieces` past their first `sent` bytes, the write bound by
// `timeout`; the error, if any.
asio::awaitable<beast::error_code> WriteRest(
    beast::tcp_stream& stream, const WritePieces& pieces, std::size_t sent,
    std::chrono::steady_clock::duration timeout);

}  // namespace mcpgw::gateway
