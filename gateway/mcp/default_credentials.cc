#include "gateway/mcp/default_credentials.h"

#include "policies/target.h"

namespace mcpgw::gateway {

bool CarriesNoCredentials(const Request& request) {
  return request.base().count(policies::kDsnHeader) == 0 &&
         request.base().count(http::field::authorization) == 0;
}

bool ApplyDefaultDsn(Request& request, const std::string& dsn) {
  if (dsn.empty() || !CarriesNoCredentials(request)) return false;
  request.set(policies::kDsnHeader, dsn);
  return true;
}

asio::awaitable<bool> DefaultCredentialsHandler::Handle(
    Request request, beast::tcp_stream& stream, ConnectionTail& tail) {
  ApplyDefaultDsn(request, dsn_);
  co_return co_await next_.Handle(std::move(request), stream, tail);
}

}  // namespace mcpgw::gateway
