#pragma once
// Gateway-owned MCP sessions as sealed tokens. The Mcp-Session-Id the gateway
// issues carries everything about the session, encrypted and authenticated
// with AES-256-GCM under a key derived from the gateway secret: the target
// key it is bound to, when it was issued and expires, and the client's
// initialize parameters (so that a backend that keeps state can be
// re-initialized behind the same session). Nothing is stored per session, so
// a token is valid on every gateway process holding the same secret and
// after a restart; it is useless with another DSN or tenant, and a client
// can neither read nor alter it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mcpgw::policies {

struct SessionClaims {
  std::string target_key;  // the instance key the session is bound to
  std::string nonce;       // random, makes every session id unique
  std::int64_t issued_at = 0;   // Unix seconds
  std::int64_t expires_at = 0;  // Unix seconds
  std::string protocol_version;   // negotiated at initialize
  std::string initialize_params;  // the client's params, JSON text
  // The backend answered initialize with a session of its own: after a reap
  // or crash the gateway must initialize the new instance again with
  // `initialize_params` before it forwards anything else.
  bool backend_sessions = false;
};

// Longest session id accepted: the initialize parameters are bounded by the
// caller, and anything longer is not one of ours.
inline constexpr std::size_t kMaxSessionIdLength = 8192;

// A new session for `target_key`, valid for `ttl` from `now`.
SessionClaims NewSession(std::string target_key, std::string protocol_version,
                         std::string initialize_params,
                         std::chrono::system_clock::time_point now,
                         std::chrono::seconds ttl);

// The session id: visible ASCII only (base64url), as MCP requires.
std::string SealSession(const SessionClaims& claims, std::string_view secret);

// The claims of a session id sealed with `secret` for `expected_key` and
// not expired at `now`. NotFound otherwise, with a message a client may see
// (it says which check failed, never anything of the token).
// OpenSession = UnsealSession, then CheckSession.
absl::StatusOr<SessionClaims> OpenSession(
    std::string_view session_id, std::string_view secret,
    std::string_view expected_key, std::chrono::system_clock::time_point now);

// The claims sealed in `session_id` with `secret`, whoever they are for and
// whenever they expire (NotFound for an id this secret did not seal). The
// costly half of OpenSession (decryption): its result may be cached per
// session id, as long as CheckSession runs on every use.
absl::StatusOr<SessionClaims> UnsealSession(std::string_view session_id,
                                            std::string_view secret);
// OkStatus when `claims` are for `expected_key` and not expired at `now`;
// NotFound with OpenSession's message otherwise.
absl::Status CheckSession(const SessionClaims& claims,
                          std::string_view expected_key,
                          std::chrono::system_clock::time_point now);

// A hash of a session id for a table of ids that unsealed (and only those):
// of its last 32 characters, where SealSession puts the AEAD tag, which no
// one without the secret chooses, so they spread the ids as well as the
// whole id would, for a fraction of the work (an id runs to some 500
// characters: hashing all of it cost ~700 instructions a request, issue 19).
struct UnsealedIdHash {
  std::size_t operator()(std::string_view session_id) const;
};

}  // namespace mcpgw::policies
