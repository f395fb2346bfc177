#pragma once
// A plain TCP connection to the gateway, for what curl hides: several
// requests on one connection, and streams read while they are still open.

#include <string>

namespace mcpgw::it {

class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False when not everything could be written.
  bool Send(const std::string& data);
  // Reads until what has arrived ends with `text`, the peer closes, or
  // `timeout_ms` passes without data; returns what arrived.
  std::string ReadUntilEndsWith(const std::string& text, int timeout_ms);
  // Reads until what has arrived (since the last call) contains `text`.
  std::string ReadUntilContains(const std::string& text, int timeout_ms);
  bool Readable(int timeout_ms);

 private:
  template <typename Done>
  std::string ReadUntil(Done done, int timeout_ms);

  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace mcpgw::it
