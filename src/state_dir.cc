#include "src/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/random_token.h"
#include "common/text.h"

namespace mcpgw {
namespace {

constexpr std::size_t kSecretBytes = 32;

absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                 const std::string& content, mode_t mode) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::InternalError(
        text::Cat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  const bool ok = write(fd, content.data(), content.size()) ==
                  static_cast<ssize_t>(content.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        text::Cat("cannot write ", path.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PrepareStateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(text::Cat(
        "cannot use state directory ", dir.string(), ": ",
        ec ? ec.message() : std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoadOrCreateSecret(
    const std::filesystem::path& dir) {
  const auto path = dir / "secret";
  std::ifstream in(path);
  if (in) {
    std::string secret;
    std::getline(in, secret);
    secret = std::string(text::StripWhitespace(secret));
    if (secret.size() < 32) {
      return absl::FailedPreconditionError(text::Cat(
          path.string(), " is too short to be a secret; delete it to have a "
                         "new one generated"));
    }
    return secret;
  }
  std::string secret = common::RandomHex(kSecretBytes);
  if (auto status = WriteFileAtomically(path, secret + "\n", 0600);
      !status.ok()) {
    return status;
  }
  return secret;
}

absl::StatusOr<std::string> LoadOrCreateTokenFile(
    const std::filesystem::path& path, bool generate, std::size_t bytes) {
  std::ifstream in(path);
  if (in) {
    std::string token;
    std::getline(in, token);
    token = std::string(text::StripWhitespace(token));
    if (token.size() < 32) {
      return absl::FailedPreconditionError(text::Cat(
          path.string(), " must hold a token of at least 32 characters"));
    }
    return token;
  }
  if (!generate) {
    return absl::FailedPreconditionError(
        text::Cat("cannot read ", path.string(), ": ", std::strerror(errno)));
  }
  std::string token = common::RandomHex(bytes);
  if (auto status = WriteFileAtomically(path, token + "\n", 0600);
      !status.ok()) {
    return status;
  }
  return token;
}

absl::Status WriteListenFile(const std::filesystem::path& dir,
                             const std::string& mcp, const std::string& admin,
                             const std::string& oauth) {
  nlohmann::json listen = {{"mcp", mcp}, {"admin", admin}, {"pid", getpid()}};
  if (!oauth.empty()) listen["oauth"] = oauth;
  return WriteFileAtomically(dir / "listen.json", listen.dump() + "\n", 0644);
}

}  // namespace mcpgw
