#pragma once
// AES-256-GCM for credentials at rest (the tenant registry's DSNs). The key
// lives in a file or the environment, never in the database; each
// ciphertext names the key it was sealed with (a fingerprint), so that a
// rotation can re-seal old rows while the old key is still readable.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::policies {

class CredentialCipher {
 public:
  // `current`: 32 raw bytes. `previous`: keys that may still open old rows
  // during a rotation.
  static absl::StatusOr<CredentialCipher> Create(
      std::string current, std::vector<std::string> previous = {});

  // Sealed form: version byte, 12-byte nonce, ciphertext, 16-byte tag.
  // `context` (e.g. "acme/sales") is authenticated: a row copied to another
  // tenant does not open.
  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view context) const;
  // `key_id`: the fingerprint stored beside the ciphertext.
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view context,
                                   std::string_view key_id) const;

  // The fingerprint of the current key (first 16 hex digits of a SHA-256
  // over a label and the key): not the key, not reversible.
  const std::string& key_id() const { return current_id_; }
  static std::string Fingerprint(std::string_view key);

 private:
  struct Key {
    std::string id;
    std::string bytes;
  };
  Key current_;
  std::string current_id_;
  std::vector<Key> previous_;
};

// A key from text: 64 hex digits (e.g. `openssl rand -hex 32`), surrounding
// whitespace ignored. The error never repeats the text.
absl::StatusOr<std::string> ParseKeyText(std::string_view text);

// SHA-256 in lower-case hex (token hashes).
std::string Sha256Hex(std::string_view data);

}  // namespace mcpgw::policies
