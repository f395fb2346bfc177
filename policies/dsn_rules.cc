#include "policies/dsn_rules.h"

#include <boost/url/parse.hpp>

#include "common/text.h"
#include "policies/sqlite_path.h"

namespace mcpgw::policies {
namespace {

namespace ip = boost::asio::ip;

Refusal Forbidden(std::string_view rule, std::string message) {
  return Refusal{403, rpc_code::kForbidden,
                 text::Cat("refused by DSN rule ", rule, ": ", message)};
}

// ::ffff:a.b.c.d is the IPv4 address for every rule.
ip::address Normalise(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool InRange(const ip::address& raw, const ip::address& network,
             unsigned prefix) {
  const ip::address address = Normalise(raw);
  if (address.is_v4() != network.is_v4()) return false;
  auto bytes_of = [](const ip::address& a) {
    std::vector<unsigned char> out;
    if (a.is_v4()) {
      auto b = a.to_v4().to_bytes();
      out.assign(b.begin(), b.end());
    } else {
      auto b = a.to_v6().to_bytes();
      out.assign(b.begin(), b.end());
    }
    return out;
  };
  const auto a = bytes_of(address);
  const auto n = bytes_of(network);
  unsigned bits = prefix;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((a[i] & mask) != (n[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::optional<ip::address> LiteralAddress(std::string_view host) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return Normalise(address);
}

}  // namespace

const std::vector<std::string>& DefaultDeniedHosts() {
  static const std::vector<std::string> kDenied = {
      "169.254.0.0/16",         // IPv4 link-local (AWS, GCP, Azure metadata)
      "fe80::/10",              // IPv6 link-local
      "fd00:ec2::254/128",      // AWS metadata over IPv6
      "100.100.100.200/32",     // Alibaba Cloud metadata
      "metadata.google.internal",
      "metadata",
  };
  return kDenied;
}

absl::StatusOr<DsnPolicy::HostList> DsnPolicy::Compile(
    const std::vector<std::string>& entries, std::string_view flag) {
  HostList list;
  for (const auto& raw : entries) {
    const std::string entry = text::Lower(text::StripWhitespace(raw));
    if (entry.empty()) continue;
    const auto slash = entry.find('/');
    if (slash != std::string::npos) {
      auto network = LiteralAddress(std::string_view(entry).substr(0, slash));
      const std::string bits = entry.substr(slash + 1);
      const unsigned max = network && network->is_v4() ? 32 : 128;
      if (!network || bits.empty() || bits.size() > 3 ||
          bits.find_first_not_of("0123456789") != std::string::npos ||
          static_cast<unsigned>(std::stoi(bits)) > max) {
        return absl::InvalidArgumentError(
            text::Cat(flag, ": '", entry, "' is not a CIDR range"));
      }
      list.ranges.push_back({*network, static_cast<unsigned>(std::stoi(bits))});
    } else if (auto address = LiteralAddress(entry)) {
      list.ranges.push_back({*address, address->is_v4() ? 32u : 128u});
    } else if (entry.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-*") ==
                   std::string::npos &&
               (entry.find('*') == std::string::npos ||
                (entry.rfind("*.", 0) == 0 && entry.find('*', 1) == std::string::npos))) {
      list.names.push_back(entry);
    } else {
      return absl::InvalidArgumentError(text::Cat(
          flag, ": '", entry, "' is neither a host name nor a CIDR range"));
    }
  }
  return list;
}

absl::StatusOr<DsnPolicy> DsnPolicy::Create(DsnRules rules) {
  DsnPolicy policy;
  for (auto& scheme : rules.allowed_schemes) {
    scheme = text::Lower(text::StripWhitespace(scheme));
    if (!IsSupportedScheme(scheme)) {
      return absl::InvalidArgumentError(text::Cat(
          "--allow-schemes: '", scheme, "' is not a scheme DBHub serves"));
    }
  }
  if (!rules.sqlite_dir.empty() && rules.sqlite_dir.front() != '/') {
    return absl::InvalidArgumentError(text::Cat(
        "--sqlite-dir: '", rules.sqlite_dir, "' is not an absolute path"));
  }
  auto allow = Compile(rules.allow_hosts, "--allow-host");
  if (!allow.ok()) return allow.status();
  std::vector<std::string> deny = DefaultDeniedHosts();
  deny.insert(deny.end(), rules.deny_hosts.begin(), rules.deny_hosts.end());
  auto denied = Compile(deny, "--deny-host");
  if (!denied.ok()) return denied.status();
  policy.protected_dirs_ =
      ResolveProtectedDirs(rules.protected_dirs, rules.resolve_path);
  policy.rules_ = std::move(rules);
  policy.allow_ = *std::move(allow);
  policy.deny_ = *std::move(denied);
  policy.compiled_ = true;
  return policy;
}

bool DsnPolicy::NameMatches(const HostList& list, std::string_view host) {
  for (const auto& name : list.names) {
    if (name.rfind("*.", 0) == 0) {
      const std::string_view suffix = std::string_view(name).substr(1);
      if (host.size() > suffix.size() && host.ends_with(suffix)) return true;
    } else if (host == name) {
      return true;
    }
  }
  return false;
}

bool DsnPolicy::AddressMatches(const HostList& list,
                               const ip::address& address) {
  for (const auto& range : list.ranges) {
    if (InRange(address, range.network, range.prefix)) return true;
  }
  return false;
}

std::optional<Refusal> DsnPolicy::CheckText(std::string_view dsn_text) const {
  if (dsn_text.size() > rules_.max_length) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("refused by DSN rule max-dsn-length: the DSN is ",
                             dsn_text.size(), " bytes, at most ",
                             rules_.max_length, " are allowed")};
  }
  return std::nullopt;
}

std::optional<Refusal> DsnPolicy::CheckDsn(const Dsn& dsn) const {
  if (!rules_.allowed_schemes.empty() &&
      std::find(rules_.allowed_schemes.begin(), rules_.allowed_schemes.end(),
                dsn.scheme) == rules_.allowed_schemes.end()) {
    return Forbidden("allow-schemes",
                     text::Cat("scheme '", dsn.scheme, "' is not allowed"));
  }
  if (dsn.scheme == "sqlite" && dsn.sqlite_files != nullptr &&
      !CheckSqliteFilesOutsideProtected(*dsn.sqlite_files, protected_dirs_,
                                        rules_.resolve_path)
           .ok()) {
    // Before any other rule, and whatever --sqlite-dir allows: the
    // gateway's own files are no one's database.
    return Forbidden("state-dir",
                     "the sqlite file is in the gateway's own state directory");
  }
  if (!rules_.sqlite_dir.empty() && dsn.scheme == "sqlite" &&
      !CheckSqlitePathWithin(dsn.original, rules_.sqlite_dir).ok()) {
    // The message names neither the DSN nor the path (a file name can be
    // as private as a password).
    return Forbidden("sqlite-dir",
                     "the sqlite file is not inside the allowed directory");
  }
  const std::string& host = dsn.host;
  if (host.empty()) return std::nullopt;  // file based: no network
  // A default-constructed policy still denies the built-in list.
  if (!compiled_) return Create({})->CheckDsn(dsn);
  const auto literal = LiteralAddress(host);
  if (NameMatches(deny_, host) || (literal && AddressMatches(deny_, *literal))) {
    return Forbidden("deny-host", text::Cat("host ", host, " is denied"));
  }
  const bool has_allow = !allow_.names.empty() || !allow_.ranges.empty();
  if (has_allow && !NameMatches(allow_, host)) {
    // A name no name entry allows may still resolve into an allowed range;
    // CheckAddresses decides that.
    const bool refused =
        literal ? !AddressMatches(allow_, *literal) : allow_.ranges.empty();
    if (refused) {
      return Forbidden("allow-host", text::Cat("host ", host, " is not allowed"));
    }
  }
  return std::nullopt;
}

std::optional<Refusal> DsnPolicy::CheckAddresses(
    std::string_view host, const std::vector<ip::address>& addresses) const {
  if (!compiled_) return Create({})->CheckAddresses(host, addresses);
  if (addresses.empty()) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("refused by DSN rule resolve: host ", host,
                             " does not resolve")};
  }
  for (const auto& address : addresses) {
    if (AddressMatches(deny_, address)) {
      return Forbidden("deny-host",
                       text::Cat("host ", host, " resolves to ",
                                 Normalise(address).to_string(),
                                 ", which is denied"));
    }
  }
  const bool has_allow = !allow_.names.empty() || !allow_.ranges.empty();
  if (!has_allow || NameMatches(allow_, host)) return std::nullopt;
  for (const auto& address : addresses) {
    if (!AddressMatches(allow_, address)) {
      return Forbidden("allow-host",
                       text::Cat("host ", host, " resolves to ",
                                 Normalise(address).to_string(),
                                 ", which is not allowed"));
    }
  }
  return std::nullopt;
}

}  // namespace mcpgw::policies
