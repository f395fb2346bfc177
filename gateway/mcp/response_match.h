#pragma once
// Whether a message an instance sent (an SSE event's data) is the answer to
// the request a client waits on, read without building its JSON value: the
// gateway only needs the top level's "id" and which members are there,
// while the answer's result can be large. Pure.

#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgw::gateway {

// The same as IsJsonRpcResponse(parsed) && parsed["id"] == id for `message`
// parsed as JSON (false when it is not JSON): an object with an "id" equal
// to `id`, a "result" or an "error", and no "method".
bool IsResponseTo(std::string_view message, const nlohmann::json& id);

}  // namespace mcpgw::gateway
