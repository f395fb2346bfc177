#include "gateway/mcp/response_match.h"

#include "gateway/mcp/json_parse.h"
#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {

bool IsResponseTo(std::string_view message, const nlohmann::json& id) {
  if (id.is_structured()) {
    // Never a client's id (MessageFieldProblem refuses it); judged the
    // long way should one come.
    const auto parsed = ParseJson(message);
    return IsJsonRpcResponse(parsed) && parsed["id"] == id;
  }
  const TopLevelMembers members = ScanTopLevel(message);
  return members.valid && members.object && members.scalar_id &&
         *members.scalar_id == id && !members.has_method &&
         members.has_result_or_error;
}

}  // namespace mcpgw::gateway
