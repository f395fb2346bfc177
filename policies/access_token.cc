#include "policies/access_token.h"

#include <openssl/evp.h>

#include <cjose/jwk.h>
#include <cjose/jws.h>

#include <algorithm>
#include <array>
#include <optional>

#include "common/text.h"

namespace mcpgw::policies {

struct JsonWebKey {
  std::string kid;
  std::string kty;  // RSA, EC, OKP
  std::string crv;  // EC and OKP
  std::string alg;  // declared by the key; empty: any of its type
  // RSA and EC: the key as cjose holds it.
  std::shared_ptr<cjose_jwk_t> jwk;
  // OKP (Ed25519): the raw public key.
  std::string okp_public;
};

namespace {

// Longest token looked at: access tokens are a few kilobytes at most.
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

// base64url without padding (RFC 7515 section 2) to bytes; nullopt when
// the text is not base64url.
std::optional<std::string> DecodeBase64Url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;  // not the URL-safe alphabet
    }
  }
  while (standard.size() % 4 != 0) standard.push_back('=');
  std::string out(standard.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(
      reinterpret_cast<unsigned char*>(out.data()),
      reinterpret_cast<const unsigned char*>(standard.data()),
      static_cast<int>(standard.size()));
  if (length < 0) return std::nullopt;
  std::size_t padding = 0;
  for (auto it = standard.rbegin(); it != standard.rend() && *it == '='; ++it) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

std::optional<nlohmann::json> DecodeJsonSegment(std::string_view segment) {
  auto bytes = DecodeBase64Url(segment);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

std::string StringField(const nlohmann::json& object, std::string_view name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>()
                                               : std::string();
}

struct CompactJws {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header.payload
};

std::optional<CompactJws> SplitCompact(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos ||
      token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return CompactJws{token.substr(0, first),
                    token.substr(first + 1, second - first - 1),
                    token.substr(second + 1), token.substr(0, second)};
}

// The key type and curve an accepted algorithm needs.
struct AlgorithmNeeds {
  std::string_view alg;
  std::string_view kty;
  std::string_view crv;  // empty: any (RSA)
};
constexpr std::array<AlgorithmNeeds, 10> kAcceptedAlgorithms = {{
    {"RS256", "RSA", ""},     {"RS384", "RSA", ""},
    {"RS512", "RSA", ""},     {"PS256", "RSA", ""},
    {"PS384", "RSA", ""},     {"PS512", "RSA", ""},
    {"ES256", "EC", "P-256"}, {"ES384", "EC", "P-384"},
    {"ES512", "EC", "P-521"}, {"EdDSA", "OKP", "Ed25519"},
}};

const AlgorithmNeeds* FindAlgorithm(std::string_view alg) {
  for (const auto& needs : kAcceptedAlgorithms) {
    if (needs.alg == alg) return &needs;
  }
  return nullptr;
}

bool KeyFits(const JsonWebKey& key, const AlgorithmNeeds& needs) {
  if (key.kty != needs.kty) return false;
  if (!needs.crv.empty() && key.crv != needs.crv) return false;
  return key.alg.empty() || key.alg == needs.alg;
}

bool VerifyEd25519(const JsonWebKey& key, std::string_view signing_input,
                   std::string_view signature) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(key.okp_public.data()),
      key.okp_public.size());
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                signature.size(),
                reinterpret_cast<const unsigned char*>(signing_input.data()),
                signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

bool VerifySignature(std::string_view token, const CompactJws& parts,
                     const JsonWebKey& key) {
  if (key.kty == "OKP") {
    auto signature = DecodeBase64Url(parts.signature);
    return signature && VerifyEd25519(key, parts.signing_input, *signature);
  }
  cjose_err err{};
  cjose_jws_t* jws = cjose_jws_import(token.data(), token.size(), &err);
  if (jws == nullptr) return false;
  const bool ok = cjose_jws_verify(jws, key.jwk.get(), &err);
  cjose_jws_release(jws);
  return ok;
}

// Number claims may come as integers or, from some issuers, as decimals.
std::optional<std::int64_t> TimeClaim(const nlohmann::json& payload,
                                      std::string_view name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  constexpr std::int64_t kLimit = 1'000'000'000'000'000;  // beyond any date
  if (it->is_number_unsigned()) {
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(it->get<std::uint64_t>(), kLimit));
  }
  // Clamped, so that exp + skew cannot overflow.
  if (it->is_number_integer()) {
    return std::clamp(it->get<std::int64_t>(), -kLimit, kLimit);
  }
  // A decimal is clamped too, never cast out of range.
  const double value = it->get<double>();
  if (!(value > -static_cast<double>(kLimit))) return -kLimit;
  if (!(value < static_cast<double>(kLimit))) return kLimit;
  return static_cast<std::int64_t>(value);
}

std::vector<std::string> Audiences(const nlohmann::json& payload) {
  std::vector<std::string> out;
  const auto it = payload.find("aud");
  if (it == payload.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& entry : *it) {
      if (entry.is_string()) out.push_back(entry.get<std::string>());
    }
  }
  return out;
}

std::vector<std::string> Scopes(const nlohmann::json& payload) {
  std::vector<std::string> out;
  if (auto it = payload.find("scope"); it != payload.end() && it->is_string()) {
    for (auto piece : text::SplitList(it->get_ref<const std::string&>(), ' ')) {
      if (!piece.empty()) out.emplace_back(piece);
    }
  } else if (auto scp = payload.find("scp");
             scp != payload.end() && scp->is_array()) {
    for (const auto& entry : *scp) {
      if (entry.is_string()) out.push_back(entry.get<std::string>());
    }
  }
  return out;
}

TokenError Error(TokenProblem problem, std::string description) {
  return TokenError{problem, std::move(description)};
}

}  // namespace

absl::StatusOr<JsonWebKeySet> JsonWebKeySet::Parse(std::string_view jwks_json) {
  auto json = nlohmann::json::parse(jwks_json, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("keys") ||
      !json["keys"].is_array()) {
    return absl::InvalidArgumentError(
        "the JWKS document is not a JSON object with a \"keys\" array");
  }
  JsonWebKeySet set;
  for (const auto& entry : json["keys"]) {
    if (!entry.is_object()) continue;
    JsonWebKey key;
    key.kid = StringField(entry, "kid");
    key.kty = StringField(entry, "kty");
    key.crv = StringField(entry, "crv");
    key.alg = StringField(entry, "alg");
    const std::string use = StringField(entry, "use");
    if (!use.empty() && use != "sig") continue;
    if (!key.alg.empty() && FindAlgorithm(key.alg) == nullptr) continue;
    if (key.kty == "RSA" || key.kty == "EC") {
      // Only the public members go to cjose: a JWKS that leaks a private
      // part must not turn this into a signing key.
      nlohmann::json public_part = {{"kty", key.kty}};
      for (const char* member : {"n", "e", "crv", "x", "y"}) {
        if (entry.contains(member)) public_part[member] = entry[member];
      }
      const std::string text = public_part.dump();
      cjose_err err{};
      cjose_jwk_t* jwk = cjose_jwk_import(text.data(), text.size(), &err);
      if (jwk == nullptr) continue;
      key.jwk = std::shared_ptr<cjose_jwk_t>(
          jwk, [](cjose_jwk_t* k) { cjose_jwk_release(k); });
    } else if (key.kty == "OKP" && key.crv == "Ed25519") {
      auto raw = DecodeBase64Url(StringField(entry, "x"));
      if (!raw || raw->size() != 32) continue;
      key.okp_public = std::move(*raw);
    } else {
      continue;  // oct (symmetric) keys and unknown types never verify
    }
    set.keys_.push_back(std::make_shared<const JsonWebKey>(std::move(key)));
  }
  return set;
}

bool JsonWebKeySet::HasKeyId(std::string_view kid) const {
  return std::any_of(keys_.begin(), keys_.end(),
                     [&](const auto& key) { return key->kid == kid; });
}

std::vector<std::string> JsonWebKeySet::KeyIds() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(key->kid);
  return out;
}

std::string UnverifiedIssuer(std::string_view token) {
  auto parts = SplitCompact(token);
  if (!parts) return {};
  auto payload = DecodeJsonSegment(parts->payload);
  return payload ? StringField(*payload, "iss") : std::string();
}

std::string UnverifiedKeyId(std::string_view token) {
  auto parts = SplitCompact(token);
  if (!parts) return {};
  auto header = DecodeJsonSegment(parts->header);
  return header ? StringField(*header, "kid") : std::string();
}

TokenCheck VerifyAccessToken(std::string_view token, const JsonWebKeySet& keys,
                             const TokenRules& rules,
                             std::chrono::system_clock::time_point now) {
  auto parts = SplitCompact(token);
  if (!parts) {
    return Error(TokenProblem::kMalformed,
                 "the access token is not a signed JWT (three base64url parts)");
  }
  auto header = DecodeJsonSegment(parts->header);
  auto payload = DecodeJsonSegment(parts->payload);
  if (!header || !payload) {
    return Error(TokenProblem::kMalformed,
                 "the access token's header or payload is not base64url JSON");
  }
  const std::string alg = StringField(*header, "alg");
  const AlgorithmNeeds* needs = FindAlgorithm(alg);
  if (needs == nullptr) {
    if (text::EqualsIgnoreCase(alg, "none")) {
      return Error(TokenProblem::kRefusedAlgorithm,
                   "unsigned tokens (alg none) are refused");
    }
    if (text::StartsWithIgnoreCase(alg, "HS")) {
      return Error(TokenProblem::kRefusedAlgorithm,
                   "symmetric algorithms (HS256/384/512) are refused: only "
                   "the issuer's public keys verify tokens");
    }
    return Error(TokenProblem::kRefusedAlgorithm,
                 text::Cat("algorithm '", alg.substr(0, 16),
                           "' is not accepted (RS256/384/512, PS256/384/512, "
                           "ES256/384/512, EdDSA)"));
  }
  const std::string kid = StringField(*header, "kid");
  const JsonWebKey* key = nullptr;
  if (kid.empty()) {
    // Without a kid only an issuer with a single key is unambiguous.
    if (keys.size() == 1) key = keys.keys().front().get();
  } else {
    for (const auto& candidate : keys.keys()) {
      if (candidate->kid == kid) key = candidate.get();
    }
  }
  if (key == nullptr) {
    return Error(TokenProblem::kUnknownKey,
                 kid.empty() ? "the token names no key (kid) and the issuer "
                               "has more than one"
                             : "the token is signed with a key (kid) the "
                               "issuer does not publish");
  }
  if (!KeyFits(*key, *needs)) {
    return Error(TokenProblem::kRefusedAlgorithm,
                 text::Cat("algorithm ", alg, " does not fit the issuer's key ",
                           "(", key->kty,
                           key->alg.empty() ? "" : text::Cat(", ", key->alg),
                           ")"));
  }
  if (!VerifySignature(token, *parts, *key)) {
    return Error(TokenProblem::kBadSignature,
                 "the token's signature does not verify (altered, or signed "
                 "by another key)");
  }

  AccessTokenClaims claims;
  claims.issuer = StringField(*payload, "iss");
  claims.subject = StringField(*payload, "sub");
  if (claims.issuer != rules.issuer) {
    return Error(TokenProblem::kWrongIssuer,
                 "the token was issued by another issuer (iss)");
  }
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  const std::int64_t skew = rules.clock_skew.count();
  const auto exp = TimeClaim(*payload, "exp");
  if (!exp) {
    return Error(TokenProblem::kMalformed, "the token has no expiry (exp)");
  }
  if (now_s > *exp + skew) {
    return Error(TokenProblem::kExpired, "the token has expired (exp)");
  }
  if (const auto nbf = TimeClaim(*payload, "nbf"); nbf && now_s + skew < *nbf) {
    return Error(TokenProblem::kNotYetValid, "the token is not yet valid (nbf)");
  }
  if (claims.subject.empty()) {
    return Error(TokenProblem::kMalformed, "the token has no subject (sub)");
  }
  const auto audiences = Audiences(*payload);
  const bool audience_ok = std::any_of(
      audiences.begin(), audiences.end(), [&](const std::string& aud) {
        return std::find(rules.audiences.begin(), rules.audiences.end(), aud) !=
               rules.audiences.end();
      });
  if (!audience_ok) {
    return Error(TokenProblem::kWrongAudience,
                 "the token is not meant for this resource (aud)");
  }
  claims.scopes = Scopes(*payload);
  for (const auto& scope : rules.required_scopes) {
    if (std::find(claims.scopes.begin(), claims.scopes.end(), scope) ==
        claims.scopes.end()) {
      return Error(TokenProblem::kInsufficientScope,
                   text::Cat("the token lacks the scope '", scope, "'"));
    }
  }
  claims.expires_at = *exp;
  claims.payload = std::move(*payload);
  return claims;
}

}  // namespace mcpgw::policies
