#pragma once
#include <string>
#include <string_view>

namespace mcpgw::policies {

// HMAC-SHA256(key, data), the 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// HMAC-SHA256(secret, canonical target) in lower-case hex. Two requests share
// an instance only if they present the same full credential, and the key
// reveals nothing about the credential to whoever sees it.
std::string DeriveInstanceKey(std::string_view secret,
                              std::string_view canonical_target);

// The part of a key that is shown to operators.
inline std::string KeyPrefix(std::string_view key) {
  return std::string(key.substr(0, 12));
}

}  // namespace mcpgw::policies
