#pragma once
// Assertion helpers shared by the integration tests.

#include <string>

#include <gtest/gtest.h>

#include "test_support/http_client.h"

namespace mcpgw::it {

// The response has HTTP `status` and its body is a JSON-RPC 2.0 error
// object with integer `code` and a non-empty message.
::testing::AssertionResult IsJsonRpcErrorResponse(const HttpResponse& response,
                                                  long status, int code);

// The response carries a JSON-RPC error (any status, any code): what a
// client can handle, as opposed to a hang, a reset or garbage.
::testing::AssertionResult CarriesJsonRpcError(const HttpResponse& response);

// `haystack` does not contain `needle`; on failure shows where it does.
::testing::AssertionResult DoesNotContain(const std::string& haystack,
                                          const std::string& needle);

}  // namespace mcpgw::it
