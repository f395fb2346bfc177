#pragma once
// Which SQLite files a DSN may open: with a directory policy
// (`--sqlite-dir`, applied by DsnPolicy::CheckDsn), only files inside that
// directory. A pure, lexical
// decision (policies do no I/O): `..` segments, percent-encoded dots and
// slashes, hosts and relative paths are judged as DBHub would resolve them,
// but symbolic links inside the directory are not followed, so the directory
// must not hold links to elsewhere.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mcpgw::policies {

// OK if `dsn` is not a sqlite DSN, or names `:memory:`, or a file whose path
// (raw and percent-decoded, both lexically normalised) lies strictly inside
// `allowed_dir` (absolute). PermissionDenied otherwise, with a message that
// never repeats the DSN; InvalidArgument if `allowed_dir` is not absolute.
absl::Status CheckSqlitePathWithin(std::string_view dsn,
                                   std::string_view allowed_dir);

// The spellings of the file a sqlite DSN names, as DBHub could open it: the
// percent-decoded path and the raw one, lexically normalised; a relative
// path (sqlite://host/x, sqlite://./x) is taken from `cwd`. Empty for other
// schemes and for :memory:.
std::vector<std::filesystem::path> SqliteFileSpellings(
    std::string_view dsn, const std::filesystem::path& cwd = "/");

// A spelling of the file a sqlite DSN names: as written (what the OS
// resolves, `..` after a link included) and lexically normal.
struct SqliteFile {
  std::filesystem::path written;
  std::filesystem::path normal;
};
// SqliteFileSpellings without repeats (the readings mostly agree: a plain
// path gives one spelling three times).
std::vector<SqliteFile> DistinctSqliteFiles(std::string_view dsn);

// The one file DBHub opens for a sqlite DSN (the percent-decoded path, as
// DBHub's URL parser gives it), lexically normalised; nullopt for other
// schemes, :memory: and relative paths.
std::optional<std::filesystem::path> SqliteFilePath(std::string_view dsn);

// Resolves `path` as the kernel would when opening it: `.` and `..` one
// component at a time, symbolic links followed (at most 40), and the
// components that do not exist yet appended as they are. The filesystem is
// read (lstat, readlink), nothing is opened. Absolute input only. The
// path's text: a path object made of it would split it into components
// (some 650 instructions a request, issue 19) that no caller reads.
std::string ResolveAsOpened(const std::filesystem::path& path);

// `path` lies inside `dir` or is `dir` itself, both absolute and normal,
// by whole components (paths' texts: `.native()` of a path object).
bool PathInsideOrAt(std::string_view path, std::string_view dir);

// How a path is resolved for the protected-directory check
// (ResolveAsOpened; tests may inject their own).
using PathResolver = std::function<std::string(const std::filesystem::path&)>;

// A protected directory as written (lexically normal) and as the OS
// resolves it.
struct ProtectedDir {
  std::filesystem::path lexical;
  std::string resolved;
};
std::vector<ProtectedDir> ResolveProtectedDirs(
    const std::vector<std::filesystem::path>& dirs,
    const PathResolver& resolve = ResolveAsOpened);

// A directory no DSN may name a file in (the gateway's state directory):
// PermissionDenied when any of the DSN's files (DistinctSqliteFiles; a
// parsed Dsn keeps them), lexically or resolved as the OS would
// (`resolve`), lies in any of `dirs` (resolved beforehand: DsnPolicy does
// it once, when it is made; the state directory is the gateway's own and
// exists by then). Each file is resolved on every call: what a link on its
// path points at may change. The message names neither the DSN nor the
// file.
absl::Status CheckSqliteFilesOutsideProtected(
    const std::vector<SqliteFile>& distinct_files,
    const std::vector<ProtectedDir>& dirs, const PathResolver& resolve);

}  // namespace mcpgw::policies
