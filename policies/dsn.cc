#include "policies/dsn.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/redaction.h"
#include "common/text.h"
#include "policies/sqlite_path.h"

namespace mcpgw::policies {
namespace {

struct SchemeInfo {
  std::string_view name;
  std::uint16_t default_port;  // 0: file based, no host
};

constexpr std::array<SchemeInfo, 7> kSchemes{{
    {"postgres", 5432},
    {"postgresql", 5432},
    {"mysql", 3306},
    {"mariadb", 3306},
    {"sqlserver", 1433},
    {"oracle", 1521},
    {"sqlite", 0},
}};

const SchemeInfo* FindScheme(std::string_view scheme) {
  for (const auto& info : kSchemes) {
    if (info.name == scheme) return &info;
  }
  return nullptr;
}

// Query parameters whose value is a credential and must be hidden.
bool IsSensitiveParam(std::string_view key) {
  const std::string lower = text::Lower(key);
  return lower == "password" || lower == "pwd" || lower == "passwd" ||
         lower == "sslpassword" || lower == "secret" || lower == "token" ||
         lower == "access_token" || lower == "api_key" || lower == "apikey";
}

void AddSecret(std::vector<std::string>& secrets, std::string value) {
  if (value.empty()) return;
  if (std::find(secrets.begin(), secrets.end(), value) == secrets.end()) {
    secrets.push_back(std::move(value));
  }
}

std::string SupportedSchemesList() {
  std::string out;
  for (const auto& info : kSchemes) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", text::Absl(info.name));
  }
  return out;
}

// Secrets shorter than this are not scrubbed from the rest of the redacted
// form (see ParseDsn).
constexpr std::size_t kMinScrubbedSecret = 4;

// 1..65535 in decimal digits (a URL allows any number of digits).
bool ValidPort(std::string_view port) {
  unsigned value = 0;
  const auto [end, error] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && error == std::errc() &&
         end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace

bool IsSupportedScheme(std::string_view scheme) {
  return FindScheme(scheme) != nullptr;
}

absl::StatusOr<Dsn> ParseDsn(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("the DSN is empty");
  if (text.size() > kMaxDsnLength) {
    return absl::InvalidArgumentError(text::Cat(
        "the DSN is longer than ", kMaxDsnLength, " characters"));
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "the DSN contains control characters");
    }
  }
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return absl::InvalidArgumentError(
        "the DSN is not a valid URL (percent-encode special characters such "
        "as '@', ':' or '/' in the user name and password)");
  }
  boost::urls::url url(*parsed);
  // The fragment means nothing to a database (it is dropped from the
  // canonical form anyway), and iterating the params of an empty query
  // followed by a fragment ("db?#x") reads out of bounds in Boost.URL 1.81
  // (found by fuzz_dsn under ASan): drop both before looking at params.
  url.remove_fragment();
  if (url.has_query() && url.encoded_query().empty()) url.remove_query();
  const std::string scheme = text::Lower(url.scheme());
  const SchemeInfo* info = FindScheme(scheme);
  if (info == nullptr) {
    return absl::InvalidArgumentError(
        text::Cat("unsupported DSN scheme '", scheme.substr(0, 32),
                     "'; supported: ", SupportedSchemesList()));
  }
  const bool file_based = info->default_port == 0;
  if (!file_based && url.encoded_host().empty()) {
    return absl::InvalidArgumentError(
        text::Cat("a ", scheme, " DSN needs a host"));
  }
  // A percent-encoded control character or space is never part of a host
  // name; decoded, it would reach DBHub's driver (and a log line) as is.
  for (unsigned char c : url.host()) {
    if (c <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "the DSN's host contains control characters or spaces");
    }
  }
  if (url.has_port() && !ValidPort(url.port())) {
    return absl::InvalidArgumentError(
        "the DSN's port is not a number between 1 and 65535");
  }
  if (file_based && (url.encoded_path().empty() || url.encoded_path() == "/")) {
    return absl::InvalidArgumentError(
        "a sqlite DSN needs a file path, e.g. sqlite:///path/to/file.db");
  }

  Dsn dsn;
  dsn.original = std::string(text);
  dsn.scheme = scheme;
  AddSecret(dsn.secrets, std::string(url.encoded_password()));
  AddSecret(dsn.secrets, std::string(url.password()));
  for (auto param : url.params()) {
    if (IsSensitiveParam(param.key)) AddSecret(dsn.secrets, param.value);
  }
  for (auto param : url.encoded_params()) {
    if (IsSensitiveParam(param.key.decode())) {
      AddSecret(dsn.secrets, std::string(param.value));
    }
  }

  // Canonical form: one spelling per database so that equivalent DSNs share
  // one instance key.
  boost::urls::url canonical = url;
  canonical.normalize();
  // "/." or "/a/.." normalise to the root: no file either (found by
  // fuzz_dsn: the canonical form must itself be a valid DSN).
  if (file_based &&
      (canonical.encoded_path().empty() || canonical.encoded_path() == "/")) {
    return absl::InvalidArgumentError(
        "a sqlite DSN needs a file path, e.g. sqlite:///path/to/file.db");
  }
  canonical.set_scheme(scheme);
  if (!file_based && !canonical.has_port()) {
    canonical.set_port_number(info->default_port);
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (auto param : canonical.encoded_params()) {
    params.emplace_back(std::string(param.key),
                        param.has_value ? std::string(param.value) : "");
  }
  std::sort(params.begin(), params.end());
  canonical.remove_query();
  for (const auto& [key, value] : params) {
    canonical.encoded_params().append({key, value});
  }
  canonical.remove_fragment();
  dsn.canonical = std::string(canonical.buffer());
  // The canonical form must read back as the same parts: Boost.URL 1.81
  // accepts some malformed authorities ("[::1]45:x") whose canonical form
  // is another URL or none (found by fuzz_dsn).
  auto reread = boost::urls::parse_uri(dsn.canonical);
  if (!reread || reread->encoded_host() != canonical.encoded_host() ||
      reread->port() != canonical.port() ||
      reread->encoded_path() != canonical.encoded_path()) {
    return absl::InvalidArgumentError(
        "the DSN is not a valid URL (percent-encode special characters such "
        "as '@', ':' or '/' in the user name and password)");
  }
  std::string host(reread->encoded_host_address());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  dsn.host = text::Lower(host);
  if (file_based) {
    dsn.sqlite_files = std::make_shared<const std::vector<SqliteFile>>(
        DistinctSqliteFiles(dsn.original));
  }

  // Redacted form: the canonical shape with every credential replaced.
  boost::urls::url redacted = canonical;
  if (redacted.has_password()) redacted.set_encoded_password("***");
  std::vector<std::pair<std::string, std::string>> shown;
  for (auto param : redacted.encoded_params()) {
    std::string value(param.value);
    if (IsSensitiveParam(param.key.decode())) value = "***";
    shown.emplace_back(std::string(param.key), value);
  }
  redacted.remove_query();
  for (const auto& [key, value] : shown) {
    redacted.encoded_params().append({key, value});
  }
  // A secret may also occur inside a value that is not sensitive itself
  // (`?password=s3cret&note=s3cret-db`): scrub it there too (found by
  // tests/fuzz/fuzz_dsn). Very short secrets are left alone: they would
  // mangle the scheme and host, and "***" already stands for them.
  std::vector<std::string> long_secrets;
  for (const auto& secret : dsn.secrets) {
    if (secret.size() >= kMinScrubbedSecret) long_secrets.push_back(secret);
  }
  dsn.redacted = common::Redactor(std::move(long_secrets))
                     .Apply(std::string_view(redacted.buffer()));
  return dsn;
}

}  // namespace mcpgw::policies
