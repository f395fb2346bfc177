#pragma once
// A database DSN as the gateway understands it: parsed once, then carried in
// three forms so that no caller ever has to handle the raw secret by accident.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/sqlite_path.h"

namespace mcpgw::policies {

// Longest DSN accepted; longer ones are refused before any parsing.
inline constexpr std::size_t kMaxDsnLength = 4096;

struct Dsn {
  // Exactly what the client sent. Secret: goes only into DBHub's environment.
  std::string original;
  // Normalised form (scheme/host case, default port, sorted query). Secret:
  // input to the instance key, never shown.
  std::string canonical;
  // Safe to log and show: `postgres://user:***@host:5432/db`.
  std::string redacted;
  // Lower-case scheme, e.g. "postgres", "sqlite".
  std::string scheme;
  // Every spelling of every secret in the DSN (password raw and
  // percent-decoded, sensitive query values), to scrub from free text.
  std::vector<std::string> secrets;
  // Read from the text once, when it is parsed, for the DSN rules a request
  // goes through every time (policies/dsn_rules.h): the host, lower-case,
  // without brackets (empty for sqlite); for sqlite, every spelling of the
  // file that DBHub or a decoding layer could read, distinct and lexically
  // normal (DistinctSqliteFiles; shared: a Dsn is copied with its Target).
  // Only ParseDsn fills them.
  std::string host;
  std::shared_ptr<const std::vector<SqliteFile>> sqlite_files;
};

// Schemes DBHub 1.4.0 can serve.
bool IsSupportedScheme(std::string_view scheme);

// Parses and canonicalises a DSN. Errors are InvalidArgument with a message a
// person understands and that never repeats the DSN itself.
absl::StatusOr<Dsn> ParseDsn(std::string_view text);

}  // namespace mcpgw::policies
