#pragma once
// Scrubs secrets out of free text (DBHub's stderr, error messages) before it
// reaches a log line, an admin response or a client.

#include <string>
#include <string_view>
#include <vector>

namespace mcpgw::common {

// Replaces the password of every `scheme://user:password@` in `text` by ***.
std::string RedactUrlCredentials(std::string_view text);

// Whether `text` holds a "://", the only place RedactUrlCredentials changes
// anything: without one it returns `text` unchanged, and a caller on a hot
// path (the log sink, once a request) may use `text` as it is instead.
bool MayHoldUrlCredentials(std::string_view text);

class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(std::vector<std::string> secrets);

  // `text` with every known secret and every URL password replaced by ***.
  std::string Apply(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace mcpgw::common
