#pragma once
// The one JSON-RPC message of a POST body, read without building its value:
// what the request path asks of a common request (its method, id and tool)
// when nothing about it needs more. Building the value (ParseBodyJson: a map
// node and often a string a member, all freed again) cost a request within
// a session a tenth of its instructions (issue 19), and the gateway sends
// the body on as it came.
//
// Whatever the summary is not sure of, it leaves to the value: a batch, a
// text Boost.JSON refuses, any field of the wrong type (MessageFieldProblem),
// a missing "jsonrpc" or "method", `initialize` (its session is made from
// its params), params._meta (the 2026-07-28 era reads the protocol version
// there). So every refusal and every rarer message goes the way it went
// before; what the summary takes, the value says the same of (the last of
// duplicate keys counts, though one of the wrong type anywhere leaves the
// message to the value; escapes are decoded; numbers typed as nlohmann
// types them): tests/unit/message_summary_test.cc and the fuzz target
// fuzz_mcp_request_info compare the two. Pure.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgw::gateway {

struct MessageSummary {
  std::string method;
  // "id", a string or an integer; nullopt: none (a notification).
  std::optional<nlohmann::json> id;
  // params.name when it is a string.
  std::optional<std::string> name;
};

// nullopt: `body` is not one plain message as above; build its value.
std::optional<MessageSummary> SummarizeMessage(std::string_view body);

}  // namespace mcpgw::gateway
