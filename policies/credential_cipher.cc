#include "policies/credential_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>

#include "common/text.h"

namespace mcpgw::policies {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr char kVersion = 1;

using CipherCtx =
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string Hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xF];
  }
  return out;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(data), data.size(), digest);
  return Hex(digest, sizeof(digest));
}

std::string CredentialCipher::Fingerprint(std::string_view key) {
  return Sha256Hex(text::Cat("mcp-gateway credential key\n", key)).substr(0, 16);
}

absl::StatusOr<std::string> ParseKeyText(std::string_view text) {
  const std::string_view hex = text::StripWhitespace(text);
  if (hex.size() != kKeyBytes * 2 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a credentials key is 64 hex digits (openssl rand -hex 32)");
  }
  std::string key;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    key += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return key;
}

absl::StatusOr<CredentialCipher> CredentialCipher::Create(
    std::string current, std::vector<std::string> previous) {
  if (current.size() != kKeyBytes) {
    return absl::InvalidArgumentError("the credentials key must be 32 bytes");
  }
  CredentialCipher cipher;
  cipher.current_ = {Fingerprint(current), std::move(current)};
  cipher.current_id_ = cipher.current_.id;
  for (auto& key : previous) {
    if (key.size() != kKeyBytes) {
      return absl::InvalidArgumentError(
          "the previous credentials key must be 32 bytes");
    }
    cipher.previous_.push_back({Fingerprint(key), std::move(key)});
  }
  return cipher;
}

absl::StatusOr<std::string> CredentialCipher::Seal(
    std::string_view plaintext, std::string_view context) const {
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
    return absl::InternalError("the random generator failed");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  data[0] = kVersion;
  std::copy(nonce, nonce + kNonceBytes, data + 1);
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes,
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(current_.bytes),
                         nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), data + 1 + kNonceBytes, &len,
                        Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), data + 1 + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          data + 1 + kNonceBytes + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> CredentialCipher::Open(
    std::string_view sealed, std::string_view context,
    std::string_view key_id) const {
  const Key* key = nullptr;
  if (key_id == current_.id) key = &current_;
  for (const auto& old : previous_) {
    if (key == nullptr && key_id == old.id) key = &old;
  }
  if (key == nullptr) {
    return absl::FailedPreconditionError(text::Cat(
        "a credential is sealed with key ", key_id,
        ", which is neither the current nor a previous credentials key"));
  }
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed[0] != kVersion) {
    return absl::DataLossError("a sealed credential is malformed");
  }
  const auto* data = Bytes(sealed);
  const std::size_t text_size = sealed.size() - 1 - kNonceBytes - kTagBytes;
  std::string plain(text_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  unsigned char tag[kTagBytes];
  std::copy(data + 1 + kNonceBytes + text_size, data + sealed.size(), tag);
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes,
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key->bytes),
                         data + 1) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, data + 1 + kNonceBytes,
                        static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    return absl::DataLossError(
        "a sealed credential does not open (wrong key or tampered row)");
  }
  return plain;
}

}  // namespace mcpgw::policies
