#include "gateway/auth/oidc_issuer.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// RFC 8414 section 3: the well-known segment goes between the host and the
// issuer's path.
std::string Rfc8414Url(const std::string& issuer) {
  const auto scheme = issuer.find("://");
  const auto path = scheme == std::string::npos
                        ? std::string::npos
                        : issuer.find('/', scheme + 3);
  if (path == std::string::npos) {
    return issuer + "/.well-known/oauth-authorization-server";
  }
  return text::Cat(issuer.substr(0, path),
                   "/.well-known/oauth-authorization-server",
                   issuer.substr(path));
}

}  // namespace

OidcIssuer::OidcIssuer(std::string issuer, OidcIssuerOptions options,
                       HttpGetFunction get,
                       const common::Clock& clock)
    : issuer_(std::move(issuer)),
      options_(options),
      get_(std::move(get)),
      clock_(clock),
      keys_(std::make_shared<policies::JsonWebKeySet>()) {}

absl::Status OidcIssuer::DiscoverLocked() {
  if (!jwks_uri_.empty()) return absl::OkStatus();
  const std::string base = TrimSlash(issuer_);
  // Both attempts' reasons: a mismatched issuer in the first document is
  // worth more than the second one's 404.
  std::string errors;
  auto failed = [&errors](std::string reason) {
    errors += errors.empty() ? reason : "; " + reason;
  };
  for (const std::string& url :
       {base + "/.well-known/openid-configuration", Rfc8414Url(base)}) {
    auto body = get_(url);
    if (!body.ok()) {
      failed(std::string(body.status().message()));
      continue;
    }
    auto json = nlohmann::json::parse(*body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      failed(text::Cat(url, " is not a JSON object"));
      continue;
    }
    // A document naming another issuer is refused (mix-up attacks).
    if (json.value("issuer", std::string()) != issuer_) {
      failed(text::Cat(url, " names the issuer '",
                       json.value("issuer", std::string()), "', not '",
                       issuer_, "'"));
      continue;
    }
    const std::string jwks_uri = json.value("jwks_uri", std::string());
    if (jwks_uri.empty()) {
      failed(text::Cat(url, " has no jwks_uri"));
      continue;
    }
    jwks_uri_ = jwks_uri;
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      text::Cat("discovery of issuer ", issuer_, " failed: ", errors));
}

absl::Status OidcIssuer::FetchLocked() {
  {
    MutexLock lock(keys_mutex_);
    last_attempt_ = clock_.Now();
    attempted_ = true;
  }
  if (auto status = DiscoverLocked(); !status.ok()) return status;
  auto body = get_(jwks_uri_);
  if (!body.ok()) return body.status();
  auto keys = policies::JsonWebKeySet::Parse(*body);
  if (!keys.ok()) {
    return absl::UnavailableError(
        text::Cat(jwks_uri_, ": ", keys.status().message()));
  }
  auto shared = std::make_shared<const policies::JsonWebKeySet>(*std::move(keys));
  std::string kids;
  for (const auto& kid : shared->KeyIds()) {
    kids += kids.empty() ? kid : ", " + kid;
  }
  spdlog::info("OAuth issuer {}: {} signing key(s) [{}]", issuer_,
               shared->size(), kids);
  MutexLock lock(keys_mutex_);
  keys_ = std::move(shared);
  fetched_at_ = last_attempt_;
  return absl::OkStatus();
}

absl::Status OidcIssuer::Refresh() {
  MutexLock lock(fetch_mutex_);
  return FetchLocked();
}

bool OidcIssuer::FetchAllowedLocked(std::chrono::steady_clock::time_point now) const {
  return !attempted_ || now - last_attempt_ >= options_.min_refetch_interval;
}

bool OidcIssuer::StaleLocked(std::chrono::steady_clock::time_point now) const {
  return keys_->size() == 0 || now - fetched_at_ > options_.max_key_age;
}

std::shared_ptr<const policies::JsonWebKeySet> OidcIssuer::Keys() {
  if (StaleRefreshDue()) {
    MutexLock lock(fetch_mutex_);
    bool still_due;
    {
      MutexLock keys_lock(keys_mutex_);
      const auto now = clock_.Now();
      still_due = StaleLocked(now) && FetchAllowedLocked(now);
    }
    if (still_due) {
      if (auto status = FetchLocked(); !status.ok()) {
        spdlog::warn("OAuth issuer {}: keeping the cached keys: {}", issuer_,
                     std::string(status.message()));
      }
    }
  }
  return CachedKeys();
}

std::shared_ptr<const policies::JsonWebKeySet> OidcIssuer::CachedKeys() const {
  MutexLock lock(keys_mutex_);
  return keys_;
}

bool OidcIssuer::LacksKeyFor(std::string_view kid) const {
  MutexLock lock(keys_mutex_);
  const bool lacks = kid.empty() ? keys_->size() != 1 : !keys_->HasKeyId(kid);
  return lacks && FetchAllowedLocked(clock_.Now());
}

bool OidcIssuer::StaleRefreshDue() const {
  MutexLock lock(keys_mutex_);
  const auto now = clock_.Now();
  return StaleLocked(now) && FetchAllowedLocked(now);
}

bool OidcIssuer::RefetchForUnknownKey() {
  MutexLock lock(fetch_mutex_);
  {
    MutexLock keys_lock(keys_mutex_);
    if (!FetchAllowedLocked(clock_.Now())) return false;
  }
  if (auto status = FetchLocked(); !status.ok()) {
    spdlog::warn("OAuth issuer {}: refetch for an unknown key failed, keeping "
                 "the cached keys: {}",
                 issuer_, std::string(status.message()));
    return false;
  }
  return true;
}

}  // namespace mcpgw::gateway
