#include "runtime/private_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/text.h"

namespace mcpgw::runtime {

absl::Status WritePrivateFile(const std::filesystem::path& path,
                              const std::string& text, mode_t mode,
                              std::optional<std::pair<uid_t, gid_t>> owner) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::InternalError(
        text::Cat("cannot write ", path.string(), ": ", std::strerror(errno)));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return absl::InternalError(
          text::Cat("cannot write ", path.string(), ": ", std::strerror(error)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (owner && fchown(fd, owner->first, owner->second) != 0) {
    const int error = errno;
    close(fd);
    return absl::InternalError(text::Cat("cannot hand ", path.string(),
                                         " to its instance's user: ",
                                         std::strerror(error)));
  }
  close(fd);
  return absl::OkStatus();
}

}  // namespace mcpgw::runtime
