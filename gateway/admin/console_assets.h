#pragma once
// The operator console's static files (console/dist, built by Vite in
// deploy/setup.sh), read once at start-up and served from memory by the
// admin listener under /console. Only the files found then exist: a request
// names a key of that map, never a path on disk, so nothing else can be
// reached through it. The files hold code only; every figure the page shows
// comes from the admin API with the token the operator types in.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gateway/http/http_types.h"

namespace mcpgw::gateway {

// The Content-Security-Policy of every console answer: the page's own
// scripts, styles and requests only; no inline code, no frames, no forms.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

class ConsoleAssets {
 public:
  struct File {
    std::string content_type;
    std::string body;
  };

  // Reads every file under `dir` (at most kMaxTotalBytes in all). An error
  // when `dir` has no index.html.
  static absl::StatusOr<ConsoleAssets> Load(const std::filesystem::path& dir);

  // `file`: the path under /console/ ("" or "index.html": the page).
  Response Serve(std::string_view file, unsigned version,
                 bool keep_alive) const;

  std::size_t size() const { return files_.size(); }

  static constexpr std::size_t kMaxTotalBytes = 32 * 1024 * 1024;

 private:
  std::map<std::string, File, std::less<>> files_;
};

// The Content-Type of a console file, from its extension.
std::string_view ConsoleContentType(std::string_view name);

}  // namespace mcpgw::gateway
