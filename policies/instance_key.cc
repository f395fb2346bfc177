#include "policies/instance_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"

namespace mcpgw::policies {

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string DeriveInstanceKey(std::string_view secret,
                              std::string_view canonical_target) {
  const std::string digest = HmacSha256(secret, canonical_target);
  return absl::BytesToHexString(absl::string_view(digest.data(), digest.size()));
}

}  // namespace mcpgw::policies
