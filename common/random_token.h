#pragma once
#include <cstddef>
#include <string>

namespace mcpgw::common {

// `bytes` bytes from the OpenSSL CSPRNG, as lower-case hex. Aborts if the
// CSPRNG fails: a predictable token or secret is worse than no gateway.
std::string RandomHex(std::size_t bytes);

}  // namespace mcpgw::common
