#pragma once
// Which SQLite files a DSN may open: with a directory policy
// (`--sqlite-dir`, applied by DsnPolicy::CheckDsn), only files inside that
// directory. A pure, lexical
// decision (policies do no I/O): `..` segments, percent-encoded dots and
// slashes, hosts and relative paths are judged as DBHub would resolve them,
// but symbolic links inside the directory are not followed, so the directory
// must not hold links to elsewhere.

#include <string_view>

#include "absl/status/status.h"

namespace mcpgw::policies {

// OK if `dsn` is not a sqlite DSN, or names `:memory:`, or a file whose path
// (raw and percent-decoded, both lexically normalised) lies strictly inside
// `allowed_dir` (absolute). PermissionDenied otherwise, with a message that
// never repeats the DSN; InvalidArgument if `allowed_dir` is not absolute.
absl::Status CheckSqlitePathWithin(std::string_view dsn,
                                   std::string_view allowed_dir);

}  // namespace mcpgw::policies
