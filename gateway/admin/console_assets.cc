#include "gateway/admin/console_assets.h"

#include <fstream>
#include <iterator>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void SetSecurityHeaders(Response& response) {
  response.set("Content-Security-Policy", kConsoleCsp);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Cross-Origin-Opener-Policy", "same-origin");
  response.set("Cross-Origin-Resource-Policy", "same-origin");
}

}  // namespace

std::string_view ConsoleContentType(std::string_view name) {
  struct Type {
    std::string_view extension;
    std::string_view content_type;
  };
  for (const Type& type :
       {Type{".html", "text/html; charset=utf-8"},
        Type{".js", "text/javascript; charset=utf-8"},
        Type{".css", "text/css; charset=utf-8"},
        Type{".svg", "image/svg+xml"}, Type{".png", "image/png"},
        Type{".ico", "image/x-icon"}, Type{".woff2", "font/woff2"},
        Type{".json", "application/json"}, Type{".map", "application/json"}}) {
    if (name.ends_with(type.extension)) return type.content_type;
  }
  return "application/octet-stream";
}

absl::StatusOr<ConsoleAssets> ConsoleAssets::Load(
    const std::filesystem::path& dir) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(dir / "index.html", error)) {
    return absl::NotFoundError(
        text::Cat("no console at ", dir.string(),
                  " (index.html missing: run deploy/setup.sh install, or pass "
                  "--console-dir)"));
  }
  ConsoleAssets assets;
  std::size_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const std::string name =
        std::filesystem::relative(it->path(), dir).generic_string();
    File file{std::string(ConsoleContentType(name)), ReadWhole(it->path())};
    total += file.body.size();
    if (total > kMaxTotalBytes) {
      return absl::ResourceExhaustedError(
          text::Cat("the console at ", dir.string(), " is over ",
                    kMaxTotalBytes / (1024 * 1024), " MiB"));
    }
    assets.files_.emplace(name, std::move(file));
  }
  if (error) {
    return absl::UnavailableError(
        text::Cat("cannot read the console at ", dir.string(), ": ",
                  error.message()));
  }
  return assets;
}

Response ConsoleAssets::Serve(std::string_view file, unsigned version,
                              bool keep_alive) const {
  const std::string_view name = file.empty() ? "index.html" : file;
  Response response;
  response.version(version);
  response.keep_alive(keep_alive);
  SetSecurityHeaders(response);
  const auto it = files_.find(name);
  if (it == files_.end()) {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "no such console file\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, it->second.content_type);
    // Vite names every asset by its content's hash: those never change.
    // The page itself names the current ones, so it is always fetched anew.
    response.set(http::field::cache_control,
                 name.starts_with("assets/") ? "public, max-age=31536000, immutable"
                                             : "no-store");
    response.body() = it->second.body;
  }
  response.prepare_payload();
  return response;
}

}  // namespace mcpgw::gateway
