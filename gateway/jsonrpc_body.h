#pragma once
// The JSON-RPC messages a POST body carries: one, a batch, or neither.
// Pure; a body that is not JSON is left to the backend to refuse in its own
// words, except inside a batch, which the gateway answers itself.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgw::gateway {

struct JsonRpcBody {
  enum class Shape { kSingle, kBatch, kNotJson };
  Shape shape = Shape::kNotJson;
  // kSingle: one element; kBatch: the array's elements, in order.
  std::vector<nlohmann::json> messages;
};

JsonRpcBody ParseJsonRpcBody(std::string_view body);

// A request expects an answer: a method and an id.
bool IsJsonRpcRequest(const nlohmann::json& message);
// A response answers one: an id and a result or an error, no method.
bool IsJsonRpcResponse(const nlohmann::json& message);
bool IsInitialize(const nlohmann::json& message);

// Why a message is not a JSON-RPC 2.0 request, notification or response,
// or empty when it is one.
std::string JsonRpcShapeProblem(const nlohmann::json& message);

}  // namespace mcpgw::gateway
