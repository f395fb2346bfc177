#pragma once
// Wiring of the OAuth listener (docs/oauth.md): the verifier of the
// configured issuers' tokens, and what the listener publishes about itself.

#include <memory>

#include "gateway/auth/oauth_verifier.h"
#include "gateway/auth/protected_resource.h"
#include "src/oauth_options.h"

namespace mcpgw {

// Fetches every issuer's keys once; one that does not answer is logged and
// retried when a token of it comes (the gateway starts all the same).
// Key ages and token expiry on `clock`.
std::unique_ptr<gateway::OAuthVerifier> MakeOAuthVerifier(const OAuthConfig& config,
                                                          const common::Clock& clock);

gateway::OAuthResource OAuthResourceFrom(const OAuthConfig& config);

}  // namespace mcpgw
