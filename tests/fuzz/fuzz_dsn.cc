// libFuzzer target: DSN parsing, canonicalisation and redaction.
// Properties checked on every input ParseDsn accepts:
//  - the redacted form holds none of the DSN's secrets;
//  - canonicalisation is idempotent (parsing the canonical form gives it back);
//  - the Redactor scrubs every secret from a line that contains the original.
// And on every input: RedactUrlCredentials never crashes and is idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/url/parse.hpp>

#include "common/redaction.h"
#include "policies/dsn.h"

namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Secrets too short to tell apart from ordinary text ("a", "1") also occur in
// the scheme or host by coincidence; only longer ones are checked.
constexpr std::size_t kCheckableSecret = 4;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpgw::policies;
  using mcpgw::common::Redactor;
  using mcpgw::common::RedactUrlCredentials;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string once = RedactUrlCredentials(text);
  if (RedactUrlCredentials(once) != once) std::abort();

  auto dsn = ParseDsn(text);
  if (!dsn.ok()) {
    // Error messages never repeat the DSN's password (they may name the
    // scheme, so a password that is also part of the scheme is not judged).
    const std::string message(dsn.status().message());
    if (auto uri = boost::urls::parse_uri(text); uri && uri->has_password()) {
      const std::string password(uri->encoded_password());
      if (password.size() >= kCheckableSecret &&
          !Contains(uri->scheme(), password) && Contains(message, password)) {
        // A leak only if the password is why the message holds that text:
        // the same DSN with another password must not give it too (a short
        // password such as "sqlite" or "number" may sit in a message's fixed
        // words by coincidence).
        std::string masked(text);
        masked.replace(masked.find(password), password.size(),
                       std::string(password.size(), 'Z'));
        auto other = ParseDsn(masked);
        const std::string other_message(other.ok() ? std::string()
                                                   : std::string(other.status().message()));
        if (!Contains(other_message, password)) std::abort();
      }
    }
    return 0;
  }
  const Redactor redactor(dsn->secrets);
  const std::string line = "dbhub: connect " + dsn->original + " failed";
  const std::string scrubbed = redactor.Apply(line);
  for (const std::string& secret : dsn->secrets) {
    if (secret.size() < kCheckableSecret || secret.find('*') != std::string::npos) continue;
    if (Contains(dsn->redacted, secret)) std::abort();
    if (Contains(scrubbed, secret)) std::abort();
  }
  auto again = ParseDsn(dsn->canonical);
  if (!again.ok() || again->canonical != dsn->canonical) std::abort();
  return 0;
}
