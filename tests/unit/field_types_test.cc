// Every field the gateway reads from a client's JSON, with every JSON type:
// a wrong type is a 400 with a JSON-RPC error (or, for the tenant API, a
// JSON error) that names the field; a right one goes on. Nothing throws.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/admin/tenant_admin.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/mcp/mcp_route.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

using nlohmann::json;
using policies::rpc_code::kInvalidParams;
using policies::rpc_code::kInvalidRequest;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

enum class Type { kNull, kBool, kInteger, kFloat, kString, kArray, kObject };
constexpr Type kAllTypes[] = {Type::kNull,   Type::kBool,  Type::kInteger,
                              Type::kFloat,  Type::kString, Type::kArray,
                              Type::kObject};

std::string Name(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kInteger: return "integer";
    case Type::kFloat: return "float";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "?";
}

// A value of `type`; strings are `text` (a value the field accepts).
json ValueOf(Type type, const std::string& text) {
  switch (type) {
    case Type::kNull: return nullptr;
    case Type::kBool: return true;
    case Type::kInteger: return 42;
    case Type::kFloat: return 1.5;
    case Type::kString: return text;
    case Type::kArray: return json::array({1, "x"});
    case Type::kObject: return json::object({{"a", 1}});
  }
  return nullptr;
}

json GoodMessage(const std::string& method) {
  json message = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
  if (method == "initialize") {
    message["params"] = {{"protocolVersion", "2025-06-18"},
                         {"capabilities", json::object()},
                         {"clientInfo", {{"name", "t"}, {"version", "1"}}}};
  } else if (method == "tools/call") {
    message["params"] = {{"name", "execute_sql"},
                         {"arguments", {{"sql", "SELECT 1"}}}};
  } else if (method == "prompts/get") {
    message["params"] = {{"name", "p"}};
  } else if (method == "tools/list") {
    message["params"] = {{"cursor", "c"}};
  } else {
    message["params"] = json::object();
  }
  message["params"]["_meta"] = {{"progressToken", 1}};
  return message;
}

struct Field {
  std::string method;      // the message the field is put in
  std::string path;        // "params.protocolVersion"
  std::vector<Type> good;  // types the field may have
  std::string good_text;   // the string value (when a string is good)
  int code;                // the JSON-RPC code of a wrong type
};

std::vector<Field> Fields() {
  const std::vector<Type> string{Type::kString};
  const std::vector<Type> object{Type::kObject};
  return {
      {"tools/list", "jsonrpc", string, "2.0", kInvalidRequest},
      {"tools/list", "id", {Type::kString, Type::kInteger}, "x", kInvalidRequest},
      {"tools/list", "method", string, "tools/list", kInvalidRequest},
      {"tools/list", "params", object, "", kInvalidRequest},
      {"initialize", "params", object, "", kInvalidRequest},
      {"initialize", "params.protocolVersion", string, "2025-06-18", kInvalidParams},
      {"initialize", "params.capabilities", object, "", kInvalidParams},
      {"initialize", "params.clientInfo", object, "", kInvalidParams},
      {"initialize", "params._meta", object, "", kInvalidParams},
      {"tools/call", "params.name", string, "execute_sql", kInvalidParams},
      {"tools/call", "params._meta", object, "", kInvalidParams},
      {"prompts/get", "params.name", string, "p", kInvalidParams},
      {"tools/list", "params.cursor", string, "c", kInvalidParams},
      {"resources/list", "params.cursor", string, "c", kInvalidParams},
      {"tools/list", "params._meta", object, "", kInvalidParams},
      {"ping", "params._meta", object, "", kInvalidParams},
  };
}

json WithField(json message, const std::string& path, json value) {
  json* at = &message;
  std::string rest = path;
  for (auto dot = rest.find('.'); dot != std::string::npos;
       dot = rest.find('.')) {
    at = &(*at)[rest.substr(0, dot)];
    rest = rest.substr(dot + 1);
  }
  (*at)[rest] = std::move(value);
  return message;
}

Request Post(const std::string& target, const std::string& body) {
  Request request{http::verb::post, target, 11};
  request.set(http::field::host, "127.0.0.1:8080");
  request.set("X-DBHub-DSN", "sqlite:///tmp/a.db");
  request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  return request;
}

// What the gateway answers a POST /mcp of `body` (before any instance):
// nullopt when it goes on to the instance.
std::optional<ErrorReply> Route(const std::string& body) {
  const Request request = Post("/mcp", body);
  const PostBody post = ReadPostBody(request.body());
  McpRoute route;
  EXPECT_NO_THROW(route = DecideMcpRoute(request, kSecret,
                                          policies::OriginPolicy{},
                                          policies::TargetPolicy{}, &post));
  if (post.summary) {
    EXPECT_NO_THROW(DescribeSummarizedMcpRequest(*post.summary));
  } else {
    EXPECT_NO_THROW(DescribeParsedMcpRequest(http::verb::post, post.value));
  }
  if (auto* error = std::get_if<ErrorReply>(&route)) return *error;
  EXPECT_TRUE(std::holds_alternative<ProxyTo>(route)) << body;
  return std::nullopt;
}

// The reply as the client gets it: a JSON-RPC error object in a JSON body.
void ExpectJsonRpcError(const ErrorReply& reply, const std::string& body,
                        int code, const std::string& names) {
  EXPECT_EQ(reply.status, http::status::bad_request) << body;
  EXPECT_EQ(reply.rpc_code, code) << body << ": " << reply.message;
  EXPECT_NE(reply.message.find(names), std::string::npos)
      << body << ": " << reply.message;
  const Response response =
      MakeErrorResponse(reply, RequestIdOf(body), 11, true);
  EXPECT_EQ(response.result(), http::status::bad_request);
  const json answer = json::parse(response.body(), nullptr, false);
  ASSERT_TRUE(answer.is_object()) << response.body();
  EXPECT_EQ(answer.value("jsonrpc", ""), "2.0");
  ASSERT_TRUE(answer.contains("error") && answer["error"].is_object());
  EXPECT_EQ(answer["error"].value("code", 0), code);
  EXPECT_EQ(answer["error"].value("message", ""), reply.message);
}

TEST(FieldTypes, EveryFieldWithEveryTypeGetsItsAnswer) {
  int checked = 0;
  for (const Field& field : Fields()) {
    for (const Type type : kAllTypes) {
      SCOPED_TRACE(field.method + " " + field.path + " = " + Name(type));
      const json message = WithField(GoodMessage(field.method), field.path,
                                     ValueOf(type, field.good_text));
      const bool good = std::find(field.good.begin(), field.good.end(),
                                  type) != field.good.end();
      const std::string single = message.dump();
      const std::string batch = json::array({GoodMessage("ping"), message}).dump();
      ++checked;
      // Alone: the route answers 400. Through the 2024-11-05 transport's
      // check (the same function). In a batch (as its second element): the
      // batch goes on, and that element is answered with its own error.
      const auto alone = Route(single);
      const auto in_batch = Route(batch);
      std::optional<ErrorReply> legacy;
      EXPECT_NO_THROW(legacy = CheckParsedJsonRpcBody(ParseBodyJson(single)));
      std::optional<FieldProblem> element;
      EXPECT_NO_THROW(element = BatchElementProblem(message));
      EXPECT_FALSE(in_batch) << batch << ": " << in_batch->message;
      if (good) {
        EXPECT_FALSE(alone) << single << ": " << alone->message;
        EXPECT_FALSE(legacy) << single;
        EXPECT_FALSE(element) << single << ": " << element->message;
        continue;
      }
      ASSERT_TRUE(alone) << single;
      ExpectJsonRpcError(*alone, single, field.code, field.path + " must be");
      ASSERT_TRUE(legacy) << single;
      EXPECT_EQ(legacy->message, alone->message);
      ASSERT_TRUE(element) << single;
      EXPECT_EQ(element->code, alone->rpc_code);
      EXPECT_EQ(element->message, alone->message);
      // The element's answer echoes its id only when that is one.
      const json id = EchoableId(message);
      EXPECT_TRUE(id.is_null() || id.is_string() || id.is_number_integer());
    }
  }
  EXPECT_EQ(checked, static_cast<int>(Fields().size() * std::size(kAllTypes)));
}

TEST(FieldTypes, TheMessageNamesTheFieldAndTheTypeItGot) {
  const auto reply = Route(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":20250618}})");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message,
            "params.protocolVersion must be a string, not an integer");
  EXPECT_EQ(reply->rpc_code, kInvalidParams);
}

TEST(FieldTypes, WrongJsonrpcValueAndMissingFieldsAreNotTypeProblems) {
  const auto wrong = Route(R"({"jsonrpc":"1.0","id":1,"method":"ping"})");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->message, "jsonrpc must be \"2.0\"");
  // Missing fields are the instance's to judge (or the batch loop's).
  EXPECT_FALSE(Route(R"({"jsonrpc":"2.0","id":1,"method":"initialize"})"));
  EXPECT_FALSE(Route(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  // A client's answer to a server request.
  EXPECT_FALSE(Route(R"({"jsonrpc":"2.0","id":"s1","result":{}})"));
  // Fields a method does not have are not checked.
  EXPECT_FALSE(Route(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"cursor":5,"name":[]}})"));
}

TEST(FieldTypes, ReadersNeverThrow) {
  for (const Type type : kAllTypes) {
    const json value = ValueOf(type, "x");
    const json message = {{"jsonrpc", "2.0"},
                          {"id", 1},
                          {"method", "initialize"},
                          {"params", value}};
    EXPECT_NO_THROW(RequestedProtocolVersion(message));
    EXPECT_NO_THROW(RequestedProtocolVersion(value));
    EXPECT_NO_THROW(StringMember(value, "protocolVersion"));
    EXPECT_NO_THROW(MessageFieldProblem(value));
    EXPECT_NO_THROW(RequestIdOf(value.dump()));
    EXPECT_NO_THROW(JsonRpcShapeProblem(value));
  }
  EXPECT_EQ(RequestedProtocolVersion(
                json::parse(R"({"params":{"protocolVersion":"2025-03-26"}})")),
            "2025-03-26");
  EXPECT_EQ(RequestedProtocolVersion(
                json::parse(R"({"params":{"protocolVersion":1}})")),
            "");
}

TEST(InitializeSucceeded, OnlyAResultForTheRequestCounts) {
  const json id = 1;
  EXPECT_TRUE(InitializeSucceeded(
      {json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})")}, id));
  EXPECT_FALSE(InitializeSucceeded(
      {json::parse(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}})")},
      id));
  EXPECT_FALSE(InitializeSucceeded(
      {json::parse(R"({"jsonrpc":"2.0","id":2,"result":{}})")}, id));
  EXPECT_FALSE(InitializeSucceeded({}, id));
  // A notification before the answer does not confuse it.
  EXPECT_TRUE(InitializeSucceeded(
      {json::parse(R"({"jsonrpc":"2.0","method":"notifications/message","params":{}})"),
       json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}})")},
      id));
}

// The tenant API's bodies: every field with every type.
TEST(TenantBodyFields, EveryFieldWithEveryTypeGetsItsAnswer) {
  struct TenantField {
    std::string path;
    std::vector<Type> good;
  };
  const std::vector<TenantField> fields = {
      {"id", {Type::kString}},          {"dsn", {Type::kString}},
      {"label", {Type::kString}},       {"options", {Type::kObject}},
      {"sources", {Type::kArray}},      {"sources[0]", {Type::kObject}},
      {"sources[0].id", {Type::kString}}, {"sources[0].dsn", {Type::kString}},
  };
  for (const auto& field : fields) {
    for (const Type type : kAllTypes) {
      SCOPED_TRACE(field.path + " = " + Name(type));
      json body = {{"id", "acme"},
                   {"options", json::object()},
                   {"sources", json::array({{{"id", "main"},
                                             {"dsn", "sqlite:///tmp/a.db"}}})}};
      json value = ValueOf(type, "x");
      if (type == Type::kArray && field.path == "sources") {
        value = json::array({{{"id", "s"}, {"dsn", "sqlite:///tmp/b.db"}}});
      }
      if (field.path.rfind("sources[0]", 0) == 0) {
        if (field.path == "sources[0]") {
          body["sources"][0] = value;
        } else {
          body["sources"][0][field.path.substr(11)] = value;
        }
      } else {
        body[field.path] = value;
      }
      std::optional<std::string> problem;
      ASSERT_NO_THROW(problem = TenantBodyProblem(body));
      const bool good = std::find(field.good.begin(), field.good.end(),
                                  type) != field.good.end();
      if (good) {
        EXPECT_FALSE(problem) << body.dump() << ": " << *problem;
      } else {
        ASSERT_TRUE(problem) << body.dump();
        EXPECT_EQ(problem->rfind(field.path + " must be", 0), 0u) << *problem;
      }
    }
  }
  for (const Type type : kAllTypes) {
    if (type == Type::kObject) continue;
    const auto problem = TenantBodyProblem(ValueOf(type, "x"));
    ASSERT_TRUE(problem);
    EXPECT_EQ(*problem, "the body must be a JSON object");
  }
}

}  // namespace
}  // namespace mcpgw::gateway
