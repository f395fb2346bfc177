#include "common/random_token.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"

namespace mcpgw::common {

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    std::abort();
  }
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

}  // namespace mcpgw::common
