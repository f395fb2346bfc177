#pragma once
// A plain HTTP/1.x request read without Beast's parser. Beast's parser
// checks a header value a byte at a time through several branches: some
// 10 instructions a byte, and a request within a session carries a
// 500-byte session id (issue 19). This parse takes only the requests whose
// every byte is unremarkable and leaves everything else to Beast, which
// then reads the same bytes as if this had never looked at them:
//  - a known method (GET, POST, ...), a target of visible ASCII, HTTP/1.0
//    or HTTP/1.1, lines ended by CRLF;
//  - field names of token characters, values of visible ASCII, space and
//    tab, no line folding;
//  - no Transfer-Encoding, Upgrade or Proxy-Connection; at most one
//    Content-Length, all digits; Connection only "close" or "keep-alive";
//  - the head shorter than the header limit, the body within the body
//    limit, the whole request within kMaxPlainRequestBytes.
// What it takes, it takes as Beast would: the same method, target,
// version, fields (names as sent, values without the spaces around them)
// and body. tests/fuzz/fuzz_http_request.cc compares the two on every
// input it makes.

#include <cstddef>
#include <string_view>

#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// Larger requests are Beast's: it reads a body into the request in pieces,
// where this parse would first gather it whole in the connection's buffer.
inline constexpr std::size_t kMaxPlainRequestBytes = 64 * 1024;

struct PlainRequestLimits {
  std::size_t max_header_bytes = 0;
  std::size_t max_body_bytes = 0;
};

struct PlainParse {
  enum class Outcome {
    kParsed,    // `request` holds the request; `consumed` bytes were it
    kNeedMore,  // a plain request so far: read more, then parse again
    kUseBeast,  // not plain: Beast's parser reads it (or refuses it)
  };
  Outcome outcome = Outcome::kUseBeast;
  std::size_t consumed = 0;
  // kNeedMore with the head whole and none of its body yet: the client
  // asked, with "Expect: 100-continue", to be told to send it.
  bool awaits_continue = false;
};

// Whether an Expect field's value asks for "100 Continue" before the body
// is sent (RFC 9110, 10.1.1).
bool AsksToContinue(std::string_view expect);

// Parses the request at the start of `bytes`. On kParsed `request` holds it
// (it must be a default-constructed request); otherwise `request` is left
// as it was.
PlainParse ParsePlainRequest(std::string_view bytes,
                             const PlainRequestLimits& limits,
                             Request& request);

}  // namespace mcpgw::gateway
