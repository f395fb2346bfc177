#include "src/oauth_options.h"

#include <boost/program_options/value_semantic.hpp>

#include "common/text.h"
#include "src/duration_flag.h"

namespace mcpgw {
namespace po = boost::program_options;

namespace {

std::vector<std::string> SplitAll(const std::vector<std::string>& values,
                                  char separator) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (auto piece : text::SplitList(value, separator)) {
      if (!piece.empty()) out.emplace_back(piece);
    }
  }
  return out;
}

bool HttpUrl(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

}  // namespace

po::options_description OAuthOptions::Describe() {
  po::options_description options("OAuth for MCP clients (docs/oauth.md)");
  options.add_options()
      ("oauth-listen", po::value(&parsed_.listen),
       "Address of the OAuth listener (e.g. 127.0.0.1:8443; port 0 picks "
       "one): /mcp there takes only access tokens of --oidc-issuer, and "
       "serves /.well-known/oauth-protected-resource. The --listen endpoint "
       "is left as it is (DSN header, tenant tokens).")
      ("oidc-issuer", po::value(&parsed_.issuers)->composing(),
       "OpenID provider (or RFC 8414 authorization server) whose access "
       "tokens are accepted, as its exact issuer URL; repeatable.")
      ("oidc-tenant-claim",
       po::value(&parsed_.tenant_claim)->default_value(parsed_.tenant_claim),
       "Claim naming the token's tenant: a string claim (tenant, org_id), or "
       "CLAIM:PREFIX for an array claim whose one entry with PREFIX names it "
       "(groups:/tenant-).")
      ("oidc-audience", po::value(&parsed_.audiences)->composing(),
       "Audiences accepted besides the resource URL (<public-url>/mcp), for "
       "providers that put their client id in aud; repeatable.")
      ("oidc-required-scope", po::value(&parsed_.required_scopes)->composing(),
       "Scope every token must carry (403 insufficient_scope otherwise); "
       "repeatable or space-separated.")
      ("oidc-scopes-supported", po::value(&parsed_.scopes_supported)->composing(),
       "scopes_supported of the resource metadata (default: the required "
       "scopes).")
      ("oidc-clock-skew", po::value(&clock_skew_)->default_value(clock_skew_),
       "Leeway on exp and nbf.")
      ("oidc-jwks-min-refetch",
       po::value(&min_refetch_)->default_value(min_refetch_),
       "Least time between two fetches of an issuer's keys caused by tokens "
       "with an unknown kid.")
      ("oidc-jwks-max-age", po::value(&max_age_)->default_value(max_age_),
       "Keys older than this are fetched again on the next token (the cached "
       "ones stay in use while the provider does not answer).")
      ("public-url", po::value(&parsed_.public_url),
       "scheme://host[:port][/prefix] clients use to reach the OAuth "
       "listener; the resource is <public-url>/mcp. Default: from each "
       "request's Host (or X-Forwarded-Proto/-Host with "
       "--oauth-trust-forwarded).")
      ("oauth-trust-forwarded",
       po::bool_switch(&parsed_.trust_forwarded),
       "Take the resource URL from X-Forwarded-Proto and X-Forwarded-Host "
       "(only behind a proxy that sets them).");
  return options;
}

absl::Status OAuthOptions::Finish(OAuthConfig& out) {
  out = parsed_;
  out.issuers = SplitAll(parsed_.issuers, ',');
  out.audiences = SplitAll(parsed_.audiences, ',');
  out.required_scopes = SplitAll(parsed_.required_scopes, ' ');
  out.scopes_supported = SplitAll(parsed_.scopes_supported, ' ');
  if (out.scopes_supported.empty()) out.scopes_supported = out.required_scopes;
  if (out.listen.empty()) {
    if (!out.issuers.empty()) {
      return absl::InvalidArgumentError(
          "--oidc-issuer needs --oauth-listen: OAuth is served on a listener "
          "of its own (docs/oauth.md)");
    }
    return absl::OkStatus();
  }
  if (out.issuers.empty()) {
    return absl::InvalidArgumentError(
        "--oauth-listen needs at least one --oidc-issuer");
  }
  for (const auto& issuer : out.issuers) {
    if (!HttpUrl(issuer)) {
      return absl::InvalidArgumentError(text::Cat(
          "--oidc-issuer '", issuer, "' is not an http(s) URL"));
    }
  }
  while (!out.public_url.empty() && out.public_url.back() == '/') {
    out.public_url.pop_back();
  }
  if (!out.public_url.empty() &&
      (!HttpUrl(out.public_url) ||
       out.public_url.find_first_of("?#\" ") != std::string::npos)) {
    return absl::InvalidArgumentError(
        "--public-url must be http(s)://host[:port][/prefix]");
  }
  auto rule = policies::ParseTenantClaimRule(out.tenant_claim);
  if (!rule.ok()) return rule.status();
  out.tenant_claim_rule = *rule;
  auto skew = ParsePositiveDuration("oidc-clock-skew", clock_skew_);
  if (!skew.ok()) return skew.status();
  out.clock_skew = CeilSeconds(*skew);
  auto refetch = ParsePositiveDuration("oidc-jwks-min-refetch", min_refetch_);
  if (!refetch.ok()) return refetch.status();
  out.jwks_min_refetch = *refetch;
  auto age = ParsePositiveDuration("oidc-jwks-max-age", max_age_);
  if (!age.ok()) return age.status();
  out.jwks_max_age = *age;
  return absl::OkStatus();
}

nlohmann::json OAuthConfigJson(const OAuthConfig& config) {
  return {
      {"listen", config.listen},
      {"issuers", config.issuers},
      {"audiences", config.audiences},
      {"required_scopes", config.required_scopes},
      {"scopes_supported", config.scopes_supported},
      {"tenant_claim", config.tenant_claim},
      {"clock_skew_s", config.clock_skew.count()},
      {"jwks_min_refetch_ms", config.jwks_min_refetch.count()},
      {"jwks_max_age_ms", config.jwks_max_age.count()},
      {"public_url", config.public_url},
      {"trust_forwarded", config.trust_forwarded},
  };
}

}  // namespace mcpgw
