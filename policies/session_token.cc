#include "policies/session_token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/random_token.h"
#include "common/text.h"
#include "policies/instance_key.h"

namespace mcpgw::policies {
namespace {

// Names the format; also the additional authenticated data, so that a token
// of another format or purpose never opens as this one.
constexpr std::string_view kPrefix = "mcps1_";
constexpr std::string_view kSealLabel = "mcp-gateway session seal v1";
constexpr std::size_t kIvBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kNonceBytes = 16;

using CipherContext =
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// The sealing key: a key of its own, derived from the secret, so that the
// secret keying instances never encrypts anything itself.
std::string SealKey(std::string_view secret) {
  return HmacSha256(secret, kSealLabel);
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string Seal(std::string_view plaintext, std::string_view secret) {
  const std::string key = SealKey(secret);
  std::string out(kIvBytes + plaintext.size() + kTagBytes, '\0');
  auto* iv = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(iv, kIvBytes) != 1) std::abort();  // see RandomHex
  CipherContext context(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  auto* ciphertext = iv + kIvBytes;
  if (context == nullptr ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr,
                         Bytes(key), iv) != 1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(kPrefix),
                        static_cast<int>(kPrefix.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), ciphertext, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), ciphertext + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          ciphertext + plaintext.size()) != 1) {
    std::abort();  // only on allocation failure or a broken OpenSSL
  }
  return out;
}

// The plaintext, or nullopt when the box was not sealed with this secret or
// was altered.
std::optional<std::string> Unseal(std::string_view box,
                                  std::string_view secret) {
  if (box.size() < kIvBytes + kTagBytes) return std::nullopt;
  const std::string key = SealKey(secret);
  const auto* iv = Bytes(box);
  const std::string_view ciphertext =
      box.substr(kIvBytes, box.size() - kIvBytes - kTagBytes);
  std::string tag(box.substr(box.size() - kTagBytes));
  std::string plaintext(ciphertext.size(), '\0');
  CipherContext context(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  if (context == nullptr ||
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr,
                         Bytes(key), iv) != 1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(kPrefix),
                        static_cast<int>(kPrefix.size())) != 1 ||
      EVP_DecryptUpdate(context.get(),
                        reinterpret_cast<unsigned char*>(plaintext.data()),
                        &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          tag.data()) != 1) {
    return std::nullopt;
  }
  // Final checks the tag: a forged or altered box fails here.
  if (EVP_DecryptFinal_ex(
          context.get(),
          reinterpret_cast<unsigned char*>(plaintext.data()) + length,
          &length) != 1) {
    return std::nullopt;
  }
  return plaintext;
}

std::int64_t UnixSeconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             time.time_since_epoch())
      .count();
}

absl::Status UnknownSession(std::string_view why) {
  return absl::NotFoundError(text::Cat(
      "unknown session: ", why, "; start a new one with initialize"));
}

}  // namespace

SessionClaims NewSession(std::string target_key, std::string protocol_version,
                         std::string initialize_params,
                         std::chrono::system_clock::time_point now,
                         std::chrono::seconds ttl) {
  SessionClaims claims;
  claims.target_key = std::move(target_key);
  claims.nonce = common::RandomHex(kNonceBytes);
  claims.issued_at = UnixSeconds(now);
  claims.expires_at = claims.issued_at + ttl.count();
  claims.protocol_version = std::move(protocol_version);
  claims.initialize_params = std::move(initialize_params);
  return claims;
}

std::string SealSession(const SessionClaims& claims, std::string_view secret) {
  const nlohmann::json plaintext = {
      {"k", claims.target_key},       {"n", claims.nonce},
      {"iat", claims.issued_at},      {"exp", claims.expires_at},
      {"v", claims.protocol_version}, {"init", claims.initialize_params},
      {"bs", claims.backend_sessions},
  };
  const std::string box = Seal(plaintext.dump(), secret);
  return text::Cat(kPrefix, absl::WebSafeBase64Escape(text::Absl(box)));
}

absl::StatusOr<SessionClaims> OpenSession(
    std::string_view session_id, std::string_view secret,
    std::string_view expected_key, std::chrono::system_clock::time_point now) {
  auto claims = UnsealSession(session_id, secret);
  if (!claims.ok()) return claims;
  if (auto checked = CheckSession(*claims, expected_key, now); !checked.ok()) {
    return checked;
  }
  return claims;
}

absl::StatusOr<SessionClaims> UnsealSession(std::string_view session_id,
                                            std::string_view secret) {
  if (session_id.size() > kMaxSessionIdLength ||
      !session_id.starts_with(kPrefix)) {
    return UnknownSession("this gateway did not issue that session id");
  }
  std::string box;
  const std::string_view encoded = session_id.substr(kPrefix.size());
  // Only the exact encoding SealSession produces: the decoder also takes
  // whitespace, padding and stray low bits, which would give one session
  // many ids (found by tests/fuzz/fuzz_session_token).
  if (!absl::WebSafeBase64Unescape(text::Absl(encoded), &box) ||
      absl::WebSafeBase64Escape(box) != text::Absl(encoded)) {
    return UnknownSession("this gateway did not issue that session id");
  }
  const auto plaintext = Unseal(box, secret);
  if (!plaintext) {
    return UnknownSession("this gateway did not issue that session id");
  }
  const auto json =
      nlohmann::json::parse(*plaintext, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return UnknownSession("this gateway did not issue that session id");
  }
  SessionClaims claims;
  claims.target_key = json.value("k", "");
  claims.nonce = json.value("n", "");
  claims.issued_at = json.value("iat", std::int64_t{0});
  claims.expires_at = json.value("exp", std::int64_t{0});
  claims.protocol_version = json.value("v", "");
  claims.initialize_params = json.value("init", "");
  claims.backend_sessions = json.value("bs", false);
  return claims;
}

absl::Status CheckSession(const SessionClaims& claims,
                          std::string_view expected_key,
                          std::chrono::system_clock::time_point now) {
  if (claims.target_key != expected_key) {
    return UnknownSession(
        "the session belongs to other credentials than this request's");
  }
  if (UnixSeconds(now) >= claims.expires_at) {
    return UnknownSession("the session has expired");
  }
  return absl::OkStatus();
}

std::size_t UnsealedIdHash::operator()(std::string_view session_id) const {
  constexpr std::size_t kTail = 32;  // the tag's 22 characters and more
  const std::size_t from =
      session_id.size() > kTail ? session_id.size() - kTail : 0;
  return std::hash<std::string_view>{}(session_id.substr(from));
}

}  // namespace mcpgw::policies
