#include "gateway/auth/oauth_key_fetch.h"

#include <boost/asio/post.hpp>

#include "gateway/http/blocking_work.h"

namespace mcpgw::gateway {

asio::awaitable<void> FetchMissingOAuthKeys(
    const policies::AccessTokenVerifier* verifier, const Request& request,
    asio::thread_pool* blocking) {
  if (verifier == nullptr) co_return;
  if (verifier->ClaimKeyRefresh()) {
    auto refresh = [verifier] { verifier->RefreshStaleKeys(); };
    if (blocking != nullptr) {
      asio::post(*blocking, std::move(refresh));
    } else {
      refresh();
    }
  }
  const auto authorization = FindHeader(request, http::field::authorization);
  if (!authorization) co_return;
  const auto token = policies::BearerToken(*authorization);
  if (!token || !verifier->KeysMissingFor(*token)) co_return;
  // The lambda holds only pointers: GCC 12 destroys a coroutine argument
  // that owns memory (a captured std::string) twice when it is moved into
  // RunBlocking (see mcp_bridge.cc); the token stays in this frame.
  const std::string_view kept = *token;
  auto fetch = [verifier, kept] {
    verifier->FetchKeysFor(kept);
    return true;
  };
  if (blocking != nullptr) {
    co_await RunBlocking(*blocking, std::move(fetch));
  } else {
    fetch();
  }
}

}  // namespace mcpgw::gateway
