#include "policies/sqlite_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <list>
#include <vector>
#include <filesystem>
#include <string>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "common/text.h"

namespace mcpgw::policies {
namespace {

namespace fs = std::filesystem;

absl::Status Outside() {
  return absl::PermissionDeniedError(
      "the sqlite DSN names a file outside the allowed directory");
}

// `path` (absolute, lexically normal) has `dir` as a proper prefix, by
// whole components.
bool StrictlyInside(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // the trailing "" of "/dir/"
    if (p == path.end() || *p != *d) return false;
  }
  // At least one more non-empty component: the file itself.
  for (; p != path.end(); ++p) {
    if (!p->empty()) return true;
  }
  return false;
}

bool PathWithin(std::string_view path_text, const fs::path& dir) {
  if (path_text.empty() || path_text.front() != '/') return false;
  if (path_text.find('\0') != std::string_view::npos) return false;
  const fs::path normal = fs::path(std::string(path_text)).lexically_normal();
  return StrictlyInside(normal, dir);
}

}  // namespace

absl::Status CheckSqlitePathWithin(std::string_view dsn,
                                   std::string_view allowed_dir) {
  const fs::path dir = fs::path(std::string(allowed_dir)).lexically_normal();
  if (!dir.is_absolute()) {
    return absl::InvalidArgumentError("the sqlite directory must be absolute");
  }
  const auto colon = dsn.find(':');
  if (colon == std::string_view::npos ||
      !text::EqualsIgnoreCase(dsn.substr(0, colon), "sqlite")) {
    return absl::OkStatus();
  }
  auto parsed = boost::urls::parse_uri(dsn);
  if (!parsed) return Outside();
  const boost::urls::url_view url = *parsed;
  // sqlite://host/... : DBHub would read the host as the start of a
  // relative path. Only the empty host (sqlite:///abs) is accepted.
  if (!url.encoded_host().empty() || url.has_userinfo() || url.has_port()) {
    return Outside();
  }
  const std::string raw(url.encoded_path());
  const std::string decoded(url.path());
  if (decoded == "/:memory:") return absl::OkStatus();
  if (!PathWithin(raw, dir) || !PathWithin(decoded, dir)) return Outside();
  return absl::OkStatus();
}

}  // namespace mcpgw::policies

namespace mcpgw::policies {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxSymlinks = 40;  // the kernel's own bound (MAXSYMLINKS)

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// DBHub's own reading of a sqlite DSN (its SafeURL): everything after
// "://" up to the first '?', the authority up to the first '/', and the
// path as written (not decoded); "//x" at the start of the path is the
// relative path "x".
struct DbhubSqlitePath {
  bool memory = false;
  std::string path;  // empty: no path
};

std::optional<DbhubSqlitePath> ReadDbhubSqlitePath(std::string_view dsn) {
  const auto separator = dsn.find("://");
  if (separator == std::string_view::npos ||
      !text::EqualsIgnoreCase(dsn.substr(0, separator), "sqlite")) {
    return std::nullopt;
  }
  std::string_view rest = dsn.substr(separator + 3);
  rest = rest.substr(0, rest.find('?'));
  const auto path_start = rest.find('/');
  DbhubSqlitePath out;
  if (path_start == std::string_view::npos) return out;
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view path = rest.substr(path_start);
  if (authority.empty() && path == "/:memory:") {
    out.memory = true;
    return out;
  }
  if (path.starts_with("//")) path.remove_prefix(2);
  out.path = std::string(path);
  return out;
}

fs::path Absolute(const std::string& path, const fs::path& cwd) {
  if (!path.empty() && path.front() == '/') return fs::path(path);
  return cwd / path;
}

}  // namespace

std::vector<fs::path> SqliteFileSpellings(std::string_view dsn,
                                          const fs::path& cwd) {
  std::vector<fs::path> spellings;
  const auto read = ReadDbhubSqlitePath(dsn);
  if (!read || read->memory) return spellings;
  // Both what DBHub opens (the raw path) and what any decoding layer would
  // make of it; a NUL ends the path where the C library would.
  for (std::string path : {read->path, PercentDecoded(read->path)}) {
    path = path.substr(0, path.find('\0'));
    if (path.empty()) continue;
    spellings.push_back(Absolute(path, cwd));
  }
  // The old reading (the host as the start of a relative path, boost's
  // decoded path) too: a spelling that any reading puts in a protected
  // directory is refused.
  if (auto parsed = boost::urls::parse_uri(dsn)) {
    const std::string decoded(parsed->path());
    if (!decoded.empty() && decoded != "/:memory:") {
      spellings.push_back(Absolute(decoded.substr(0, decoded.find('\0')), cwd));
      const std::string host(parsed->encoded_host());
      if (!host.empty()) {
        spellings.push_back(cwd / PercentDecoded(host) / decoded.substr(1));
      }
    }
  }
  return spellings;
}

std::optional<fs::path> SqliteFilePath(std::string_view dsn) {
  const auto read = ReadDbhubSqlitePath(dsn);
  if (!read || read->memory || read->path.empty() || read->path.front() != '/') {
    return std::nullopt;
  }
  return fs::path(read->path);
}

std::string ResolveAsOpened(const fs::path& path) {
  // Runs on every request with a sqlite DSN: plain strings and views, no
  // path object per component. The components still to walk, the next one
  // last; they point into `path` or into the link targets read so far.
  const std::string& text = path.native();
  std::vector<std::string_view> pending;
  pending.reserve(16);  // one allocation for a usual path
  std::list<std::string> targets;  // stable: `pending` points into them
  const auto push_components = [&pending](std::string_view from) {
    const std::size_t first_new = pending.size();
    std::size_t start = 0;
    while (start <= from.size()) {
      const std::size_t slash = std::min(from.find('/', start), from.size());
      if (slash > start) pending.push_back(from.substr(start, slash - start));
      start = slash + 1;
    }
    std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first_new),
                 pending.end());
  };
  push_components(text);
  std::string resolved = "/";
  int links = 0;
  bool exists = true;
  while (!pending.empty()) {
    const std::string_view part = pending.back();
    pending.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      const std::size_t slash = resolved.rfind('/');
      resolved.resize(slash == 0 ? 1 : slash);
      continue;
    }
    // `resolved` becomes the next path in place; `before` undoes it.
    const std::size_t before = resolved.size();
    if (resolved.size() > 1) resolved += '/';
    resolved.append(part);
    struct stat st {};
    if (!exists || lstat(resolved.c_str(), &st) != 0) {
      // From here on nothing exists: the rest is taken as written.
      exists = false;
      continue;
    }
    if (S_ISLNK(st.st_mode) && ++links <= kMaxSymlinks) {
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
      const ssize_t n = readlink(resolved.c_str(), target.data(), target.size());
      if (n > 0) {
        target.resize(static_cast<std::size_t>(n));
        resolved.resize(before);
        if (target.front() == '/') resolved.assign(1, '/');
        push_components(targets.emplace_back(std::move(target)));
        continue;
      }
    }
  }
  return resolved;
}

bool PathInsideOrAt(std::string_view p, std::string_view d) {
  // On the text, component by component (runs on every request with a
  // sqlite DSN; fs::path's iterator and comparisons split each path into
  // path objects). Separators in a row count as one, like fs::path's.
  if (d.starts_with('/') && !p.starts_with('/')) return false;
  if (p.starts_with('/') && !d.starts_with('/') &&
      d.find_first_not_of('/') != std::string_view::npos) {
    return false;
  }
  std::size_t at_p = 0;
  std::size_t at_d = 0;
  while (true) {
    at_d = d.find_first_not_of('/', at_d);
    if (at_d == std::string_view::npos) return true;
    at_p = p.find_first_not_of('/', at_p);
    if (at_p == std::string_view::npos) return false;
    const std::size_t end_d = std::min(d.find('/', at_d), d.size());
    const std::size_t end_p = std::min(p.find('/', at_p), p.size());
    if (d.substr(at_d, end_d - at_d) != p.substr(at_p, end_p - at_p)) {
      return false;
    }
    at_d = end_d;
    at_p = end_p;
  }
}

std::vector<ProtectedDir> ResolveProtectedDirs(const std::vector<fs::path>& dirs,
                                               const PathResolver& resolve) {
  std::vector<ProtectedDir> out;
  out.reserve(dirs.size());
  for (const auto& dir : dirs) {
    const fs::path lexical = dir.lexically_normal();
    out.push_back({lexical, resolve(lexical)});
  }
  return out;
}

std::vector<SqliteFile> DistinctSqliteFiles(std::string_view dsn) {
  auto spellings = SqliteFileSpellings(dsn);
  std::sort(spellings.begin(), spellings.end());
  spellings.erase(std::unique(spellings.begin(), spellings.end()),
                  spellings.end());
  std::vector<SqliteFile> files;
  files.reserve(spellings.size());
  for (auto& spelling : spellings) {
    fs::path normal = spelling.lexically_normal();
    files.push_back({std::move(spelling), std::move(normal)});
  }
  return files;
}

absl::Status CheckSqliteFilesOutsideProtected(
    const std::vector<SqliteFile>& distinct_files,
    const std::vector<ProtectedDir>& dirs, const PathResolver& resolve) {
  if (dirs.empty()) return absl::OkStatus();
  for (const auto& file : distinct_files) {
    const std::string resolved = resolve(file.written);
    for (const auto& dir : dirs) {
      if (PathInsideOrAt(file.normal.native(), dir.lexical.native()) ||
          PathInsideOrAt(resolved, dir.resolved)) {
        return absl::PermissionDeniedError(
            "the sqlite DSN names a file in the gateway's own state directory");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mcpgw::policies
