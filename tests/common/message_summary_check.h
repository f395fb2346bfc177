#pragma once
// Test support: what a POST body's summary (SummarizeMessage) says, held to
// what the request path would read of the body's value (ParseBodyJson)
// without it. Shared by the summary's unit test and the fuzz target
// fuzz_mcp_request_info.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/http/http_types.h"
#include "gateway/mcp/json_parse.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/mcp/message_summary.h"

namespace mcpgw::gateway::testing {

// "" when `body` has no summary, or its summary says what the value does:
// the body check lets it through, it is no initialize, no params._meta,
// and the method, id, params.name and access-log description are the
// same. Otherwise the first difference.
inline std::string SummaryDifference(std::string_view body) {
  const auto summary = SummarizeMessage(body);
  if (!summary) return "";
  const nlohmann::json value = ParseBodyJson(body);
  if (!value.is_object()) return "summarized, but the value is no object";
  if (auto refused = CheckParsedJsonRpcBody(value)) {
    return "summarized, but the body check refuses it: " + refused->message;
  }
  if (IsInitialize(value)) return "summarized an initialize";
  const auto params = value.find("params");
  if (params != value.end() && params->contains("_meta")) {
    return "summarized a message with params._meta";
  }
  const auto jsonrpc = value.find("jsonrpc");
  if (jsonrpc == value.end() || *jsonrpc != "2.0") {
    return "summarized without jsonrpc \"2.0\"";
  }
  const auto method = value.find("method");
  if (method == value.end() || !method->is_string() ||
      method->get_ref<const std::string&>() != summary->method) {
    return "method differs: " + summary->method;
  }
  const auto id = value.find("id");
  if ((id != value.end()) != summary->id.has_value()) return "id presence";
  if (id != value.end() && !SameJson(*id, *summary->id)) {
    return "id differs: " + summary->id->dump() + " against " + id->dump();
  }
  const nlohmann::json* name = nullptr;
  if (params != value.end() && params->contains("name") &&
      (*params)["name"].is_string()) {
    name = &(*params)["name"];
  }
  if ((name != nullptr) != summary->name.has_value() ||
      (name != nullptr && name->get_ref<const std::string&>() != *summary->name)) {
    return "params.name differs";
  }
  const auto by_value = DescribeParsedMcpRequest(http::verb::post, value);
  const auto by_summary = DescribeSummarizedMcpRequest(*summary);
  if (by_value.method != by_summary.method || by_value.tool != by_summary.tool) {
    return "access-log description differs: " + by_summary.method + " " +
           by_summary.tool + " against " + by_value.method + " " + by_value.tool;
  }
  return "";
}

}  // namespace mcpgw::gateway::testing
