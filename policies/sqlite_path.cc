#include "policies/sqlite_path.h"

#include <filesystem>
#include <string>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "policies/text.h"

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
