#include "policies/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policies/instance_key.h"
#include "policies/text.h"

namespace mcpgw::policies {
namespace {

// True when the query carries something that looks like a DSN: a `dsn`
// parameter, or any value with URL credentials. Secrets in URLs end up in
// access logs and browser histories, so they are refused outright.
bool QueryCarriesDsn(std::string_view query) {
  if (query.empty()) return false;
  // The view points into `with_mark`, which must outlive it.
  const std::string with_mark = "?" + std::string(query);
  auto reference = boost::urls::parse_relative_ref(with_mark);
  if (!reference) {
    return text::Contains(text::Lower(query), "dsn");
  }
  for (auto param : reference->params()) {
    const std::string key = text::Lower(param.key);
    if (text::Contains(key, "dsn")) return true;
    if (text::Contains(param.value, "://")) return true;
  }
  return false;
}

}  // namespace

TargetDecision ResolveTarget(const RequestCredentials& credentials,
                             std::string_view key_secret) {
  if (QueryCarriesDsn(credentials.query)) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("a DSN in the URL query string is refused "
                                "(it would end up in logs); send it in the ",
                                kDsnHeader, " header")};
  }
  if (credentials.dsn_header_count > 1) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("more than one ", kDsnHeader,
                             " header; send exactly one")};
  }
  if (!credentials.dsn_header.has_value() ||
      text::StripWhitespace(*credentials.dsn_header).empty()) {
    return Refusal{401, rpc_code::kMissingCredentials,
                   text::Cat("no database credentials: send the database "
                                "DSN in the ",
                                kDsnHeader, " header")};
  }
  auto dsn = ParseDsn(text::StripWhitespace(*credentials.dsn_header));
  if (!dsn.ok()) {
    return Refusal{400, rpc_code::kBadTarget,
                   text::Cat("invalid ", kDsnHeader, " header: ",
                                dsn.status().message())};
  }
  Target target;
  target.key = DeriveInstanceKey(key_secret, dsn->canonical);
  target.dsn = *std::move(dsn);
  return target;
}

}  // namespace mcpgw::policies
