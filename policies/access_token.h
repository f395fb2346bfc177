#pragma once
// OAuth access tokens as signed JWTs (RFC 9068): the keys an issuer
// publishes (JWKS) and the check of one token against them. A pure decision:
// the keys and the time are handed in; fetching them is the gateway's job
// (gateway/auth/oidc_issuer.h).
//
// Signatures are verified by cjose (RSA and EC) and by OpenSSL (Ed25519),
// never by code of ours. Only asymmetric algorithms are accepted, and only
// with a key of the matching type (and the key's own `alg` when it declares
// one): `none`, HMAC (e.g. HS256 "signed" with the public key) and any mix of
// algorithm and key type are refused before a signature is looked at.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace mcpgw::policies {

// One public signing key of a JWKS.
struct JsonWebKey;

class JsonWebKeySet {
 public:
  JsonWebKeySet() = default;
  // The keys of a JWKS document usable for signatures; others (encryption
  // keys, symmetric keys, unknown types) are left out. InvalidArgument when
  // the document is no JWKS.
  static absl::StatusOr<JsonWebKeySet> Parse(std::string_view jwks_json);

  std::size_t size() const { return keys_.size(); }
  bool HasKeyId(std::string_view kid) const;
  // The `kid`s, for logs.
  std::vector<std::string> KeyIds() const;
  const std::vector<std::shared_ptr<const JsonWebKey>>& keys() const {
    return keys_;
  }

 private:
  std::vector<std::shared_ptr<const JsonWebKey>> keys_;
};

// What a token must satisfy besides its signature.
struct TokenRules {
  std::string issuer;                  // exact `iss`
  std::vector<std::string> audiences;  // `aud` must hold one of these
  std::vector<std::string> required_scopes;
  std::chrono::seconds clock_skew{60};
};

struct AccessTokenClaims {
  std::string issuer;
  std::string subject;
  std::vector<std::string> scopes;
  std::int64_t expires_at = 0;
  nlohmann::json payload;  // every claim, for the tenant mapping
};

enum class TokenProblem {
  kMalformed,          // not a compact JWS with JSON header and payload
  kRefusedAlgorithm,   // none, HMAC, unknown, or not the key's algorithm
  kUnknownKey,         // no key with this kid (worth a JWKS refetch)
  kBadSignature,       // tampered, or signed by another key
  kWrongIssuer,
  kExpired,
  kNotYetValid,
  kWrongAudience,
  kInsufficientScope,  // 403 rather than 401
};

struct TokenError {
  TokenProblem problem;
  std::string description;  // for error_description: nothing of the token
};

using TokenCheck = std::variant<AccessTokenClaims, TokenError>;

// The `iss` of a token, unverified: only to pick the issuer whose keys
// verify it. Empty when there is none.
std::string UnverifiedIssuer(std::string_view token);

// The `kid` of a token's header, unverified: only to tell whether the
// cached keys can verify it. Empty when there is none.
std::string UnverifiedKeyId(std::string_view token);

// The signature against `keys`, then `iss`, `exp`/`nbf` (with the skew),
// `aud` and the scopes (`scope` string or `scp` array).
TokenCheck VerifyAccessToken(std::string_view token, const JsonWebKeySet& keys,
                             const TokenRules& rules,
                             std::chrono::system_clock::time_point now);

}  // namespace mcpgw::policies
