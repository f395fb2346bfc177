#pragma once
// The JSON-RPC messages a POST body carries: one, a batch, or neither.
// Pure. A body that is not JSON-RPC at all is refused by the gateway itself
// before any instance is reached: DBHub answers such a body with an HTML
// error page (its web framework's), which an MCP client cannot read.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/message_summary.h"

namespace mcpgw::gateway {

struct JsonRpcBody {
  enum class Shape { kSingle, kBatch, kNotJson };
  Shape shape = Shape::kNotJson;
  // kSingle: one element, or none when `summary` stands for it; kBatch:
  // the array's elements, in order.
  std::vector<nlohmann::json> messages;
  // kSingle: the message as SummarizeMessage read it, when it did.
  std::optional<MessageSummary> summary;
};

// A POST body as the request path reads it, once (McpHandler::Handle): the
// summary of one plain message when it is one, else its value; a step that
// needs the value of a summarized body builds it then (BodyValue).
struct PostBody {
  std::optional<MessageSummary> summary;
  nlohmann::json value;  // null while only summarized
};
PostBody ReadPostBody(std::string_view body);
// The value of `post` (read from `text`, its body, if not yet).
nlohmann::json& BodyValue(PostBody& post, std::string_view text);
// CheckParsedJsonRpcBody of the value: a summarized body passed it.
std::optional<ErrorReply> CheckPostBody(const PostBody& post);
// ToJsonRpcBody; a summarized body whose value was never built becomes a
// kSingle without messages.
JsonRpcBody ToJsonRpcBody(PostBody&& post);
// A single message that is an initialize.
bool IsSingleInitialize(const JsonRpcBody& body);

JsonRpcBody ParseJsonRpcBody(std::string_view body);
// The same from a body already parsed with ParseBodyJson (taken over).
JsonRpcBody ToJsonRpcBody(nlohmann::json parsed);

// A POST body as JSON, discarded (is_discarded()) when it is not JSON. The
// request path parses a body once with this and hands the value to the
// access log, the route's check and the handler.
nlohmann::json ParseBodyJson(std::string_view body);

// nullopt when `body` is a JSON object whose fields have their types
// (MessageFieldProblem), or a non-empty array of objects (a batch: each
// element is judged on its own later, BatchElementProblem). Otherwise a 400
// with -32700 (not JSON, including invalid UTF-8), -32600 (JSON, but not a
// message: null, a number, [], [1], ...; or a wrong envelope field) or
// -32602 (a wrong field of params), naming the field.
std::optional<ErrorReply> CheckJsonRpcBody(std::string_view body);
std::optional<ErrorReply> CheckParsedJsonRpcBody(const nlohmann::json& parsed);

// A request expects an answer: a method and an id.
bool IsJsonRpcRequest(const nlohmann::json& message);
// A response answers one: an id and a result or an error, no method.
bool IsJsonRpcResponse(const nlohmann::json& message);
bool IsInitialize(const nlohmann::json& message);

// A field of a client's message that is there with the wrong type (or,
// for "jsonrpc", the wrong value): every field the gateway reads or keeps
// (jsonrpc, id, method, params; for initialize params.protocolVersion,
// params.capabilities, params.clientInfo; params.name of tools/call and
// prompts/get; params.cursor of */list; params._meta). `code` is -32600
// for the envelope, -32602 for what is inside params; `message` names the
// field ("params.protocolVersion must be a string, not a number").
// Missing fields are not this function's business.
struct FieldProblem {
  int code;
  std::string message;
};
std::optional<FieldProblem> MessageFieldProblem(const nlohmann::json& message);
// The member of params that MessageFieldProblem wants a string for
// `method` (initialize's aside): "name" for tools/call and prompts/get,
// "cursor" for */list; empty for the others.
std::string_view StringParamOf(std::string_view method);

// A string member of `object`, or `fallback` when `object` is no object, or
// the member is missing or no string. Never throws.
std::string StringMember(const nlohmann::json& object, std::string_view name,
                         std::string_view fallback = {});
// The protocol version an initialize message asks for ("" if none).
std::string RequestedProtocolVersion(const nlohmann::json& initialize);
// Whether the answers to an initialize (`messages`, as the instance sent
// them) hold a result for `id`, not an error.
bool InitializeSucceeded(const std::vector<nlohmann::json>& messages,
                         const nlohmann::json& id);

// What a batch element gets instead of being sent on, if anything: a
// field of the wrong type (MessageFieldProblem) or a message that is none
// (JsonRpcShapeProblem, -32600). In a batch each element is answered on
// its own (JSON-RPC 2.0): this is that element's error, in a 200 answer.
std::optional<FieldProblem> BatchElementProblem(const nlohmann::json& message);
// The id to echo in an error about `message`: its id when that is a string
// or an integer, else null.
nlohmann::json EchoableId(const nlohmann::json& message);

// Why a message is not a JSON-RPC 2.0 request, notification or response,
// or empty when it is one.
std::string JsonRpcShapeProblem(const nlohmann::json& message);

}  // namespace mcpgw::gateway
