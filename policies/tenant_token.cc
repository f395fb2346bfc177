#include "policies/tenant_token.h"

#include "common/random_token.h"
#include "common/text.h"
#include "policies/credential_cipher.h"

namespace mcpgw::policies {
namespace {
// A recognisable prefix lets secret scanners and people tell a gateway
// token from other bearer tokens.
constexpr std::string_view kTokenPrefix = "mgw_";
constexpr std::size_t kTokenBytes = 32;
}  // namespace

std::string NewTenantToken() {
  return text::Cat(kTokenPrefix, common::RandomHex(kTokenBytes));
}

std::string TenantTokenHash(std::string_view token) { return Sha256Hex(token); }

}  // namespace mcpgw::policies
