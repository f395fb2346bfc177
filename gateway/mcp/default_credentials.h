#pragma once
// --default-dsn-file: requests that carry no credentials of their own reach
// one configured backend, for MCP clients that cannot send custom headers
// (conformance runners, some IDEs). Off unless configured; a request with
// any credentials is left alone.

#include <string>

#include "gateway/http/http_server.h"

namespace mcpgw::gateway {

// True when the request has neither an X-DBHub-DSN nor an Authorization
// header.
bool CarriesNoCredentials(const Request& request);

// Adds `dsn` as the request's X-DBHub-DSN when it carries no credentials;
// returns whether it did.
bool ApplyDefaultDsn(Request& request, const std::string& dsn);

// Wraps the MCP handler: applies the default DSN, then hands on.
class DefaultCredentialsHandler final : public RequestHandler {
 public:
  // `dsn` is a secret; it is never logged.
  DefaultCredentialsHandler(RequestHandler& next, std::string dsn)
      : next_(next), dsn_(std::move(dsn)) {}

  asio::awaitable<bool> Handle(Request request, beast::tcp_stream& stream,
                               ConnectionTail& tail) override;

 private:
  RequestHandler& next_;
  const std::string dsn_;
};

}  // namespace mcpgw::gateway
