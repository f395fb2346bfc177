#pragma once
// Which databases a DSN may point at: allowed schemes, host allow and deny
// lists (names and CIDR ranges), and a length bound. Checked on the DSN as
// written and again on every address its host resolves to, so that a DSN
// cannot turn the gateway into a way into networks it should not reach
// (cloud metadata, link-local). Pure: the caller resolves names.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "absl/status/statusor.h"
#include "policies/dsn.h"
#include "policies/sqlite_path.h"
#include "policies/target.h"

namespace mcpgw::policies {

struct DsnRules {
  // Lower-case schemes ("postgres", "sqlite", ...); empty: every scheme
  // DBHub supports.
  std::vector<std::string> allowed_schemes = {};
  // Host names ("db.internal", "*.corp.example") or CIDR ranges
  // ("10.0.0.0/8"). Empty: every host that is not denied.
  std::vector<std::string> allow_hosts = {};
  // Denied in addition to the built-in list (link-local, cloud metadata).
  std::vector<std::string> deny_hosts = {};
  std::size_t max_length = kMaxDsnLength;
  // Absolute directory (--sqlite-dir): sqlite DSNs must name a file strictly
  // inside it (policies/sqlite_path). Empty: any file.
  std::string sqlite_dir = {};
  // Directories no sqlite DSN may name a file in, whatever the other rules
  // say: the gateway's state directory. Checked on every spelling of the
  // file, resolved as the OS would open it (symbolic links followed, files
  // that do not exist yet included; policies/sqlite_path). The directories
  // themselves are resolved once, by Create (they must exist by then).
  std::vector<std::filesystem::path> protected_dirs = {};
  // How a path is resolved for that check (reads the filesystem); tests
  // may inject their own.
  PathResolver resolve_path = ResolveAsOpened;
};

// Denied unless --allow-host names them explicitly: link-local ranges (where
// cloud metadata services live) and well-known metadata addresses.
const std::vector<std::string>& DefaultDeniedHosts();

class DsnPolicy {
 public:
  // InvalidArgument naming the entry that is neither a host name nor a CIDR.
  static absl::StatusOr<DsnPolicy> Create(DsnRules rules);
  DsnPolicy() = default;  // allows everything but the default deny list

  // Before parsing: the length bound.
  std::optional<Refusal> CheckText(std::string_view dsn_text) const;
  // The scheme, and the host as written (a name or a literal address).
  std::optional<Refusal> CheckDsn(const Dsn& dsn) const;
  // Every address `host` resolved to. An empty list is refused (the DSN
  // could not be checked).
  std::optional<Refusal> CheckAddresses(
      std::string_view host,
      const std::vector<boost::asio::ip::address>& addresses) const;

  const DsnRules& rules() const { return rules_; }

 private:
  struct Range {
    boost::asio::ip::address network;
    unsigned prefix = 0;
  };
  struct HostList {
    std::vector<std::string> names;  // lower-case; "*.x" matches subdomains
    std::vector<Range> ranges;
  };
  static absl::StatusOr<HostList> Compile(const std::vector<std::string>& entries,
                                          std::string_view flag);
  static bool NameMatches(const HostList& list, std::string_view host);
  static bool AddressMatches(const HostList& list,
                             const boost::asio::ip::address& address);

  DsnRules rules_;
  // rules_.protected_dirs, resolved once.
  std::vector<ProtectedDir> protected_dirs_;
  HostList allow_;
  HostList deny_;
  bool compiled_ = false;
};

}  // namespace mcpgw::policies
