// libFuzzer target: the JSON-RPC classifier that names a request for the
// access log and the metrics. Any body, any verb: it must not crash, and what
// it returns must stay bounded and printable (it ends up in logs and labels).
// Then the body check every POST goes through (CheckParsedJsonRpcBody, and
// BatchElementProblem for each element of a batch): it never throws, and a
// message it lets through has every field the gateway reads of the type the
// gateway reads it as, so that the handler's own reads cannot throw either.
// And the body's parse (Boost.JSON, gateway/mcp/json_parse.h) gives what
// nlohmann's gives, for any bytes; and the body's summary (the request path's
// read of a common message, gateway/mcp/message_summary.h) says what the
// parsed value says.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/mcp/json_parse.h"
#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/mcp_request_info.h"
#include "tests/common/message_summary_check.h"

namespace {

bool Printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// What the handler reads of a message that passed the check, with the
// throwing accessors: any exception aborts.
void ReadLikeTheHandler(const nlohmann::json& message) {
  namespace gw = mcpgw::gateway;
  if (!message.is_object()) return;
  if (message.contains("jsonrpc")) (void)message["jsonrpc"].get<std::string>();
  if (message.contains("method")) {
    (void)message["method"].get_ref<const std::string&>();
  }
  if (message.contains("params")) {
    const auto& params = message["params"];
    if (!params.is_object()) std::abort();
    if (gw::IsInitialize(message)) {
      (void)params.value("protocolVersion", "");
      if (params.contains("capabilities") && !params["capabilities"].is_object()) std::abort();
      if (params.contains("clientInfo") && !params["clientInfo"].is_object()) std::abort();
    }
    if (params.contains("_meta") && !params["_meta"].is_object()) std::abort();
  }
  if (message.contains("id") && !message["id"].is_string() &&
      !message["id"].is_number_integer()) {
    std::abort();
  }
}

// ScanTopLevel against the whole value.
void CheckTopLevel(const mcpgw::gateway::TopLevelMembers& members,
                   const nlohmann::json& whole) {
  if (members.valid == whole.is_discarded()) std::abort();
  if (members.object != whole.is_object()) std::abort();
  if (!whole.is_object()) return;
  const auto id = whole.find("id");
  if (members.has_id != (id != whole.end())) std::abort();
  const bool scalar = id != whole.end() && !id->is_structured();
  if (members.scalar_id.has_value() != scalar) std::abort();
  if (scalar && !mcpgw::gateway::SameJson(*members.scalar_id, *id)) std::abort();
  if (members.has_method != whole.contains("method")) std::abort();
  if (members.has_result_or_error !=
      (whole.contains("result") || whole.contains("error"))) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gw = mcpgw::gateway;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto verb : {gw::http::verb::post, gw::http::verb::get, gw::http::verb::delete_}) {
    const gw::McpRequestInfo info = gw::DescribeMcpRequest(verb, body);
    // Bounded: a client cannot blow up a log line or a metric label.
    if (info.method.size() > 256 || info.tool.size() > 256) std::abort();
    if (!Printable(info.method) || !Printable(info.tool)) std::abort();
  }
  try {
    const nlohmann::json parsed = gw::ParseBodyJson(body);
    // Boost.JSON's reading is nlohmann's, value, types and refusals alike
    // (gateway/mcp/json_parse.h), and so is the top level read alone.
    const nlohmann::json by_nlohmann = nlohmann::json::parse(body, nullptr, false);
    if (!gw::SameJson(parsed, by_nlohmann)) std::abort();
    CheckTopLevel(gw::ScanTopLevel(body), by_nlohmann);
    if (const std::string difference = gw::testing::SummaryDifference(body);
        !difference.empty()) {
      std::fprintf(stderr, "summary: %s\n", difference.c_str());
      std::abort();
    }
    const auto refused = gw::CheckParsedJsonRpcBody(parsed);
    if (refused) {
      // A refusal is a client error with a message, never empty.
      if (refused->status != gw::http::status::bad_request ||
          refused->message.empty()) {
        std::abort();
      }
    } else if (parsed.is_array()) {
      // A batch goes on; each element is answered with its own error or
      // read like a single message.
      for (const auto& message : parsed) {
        const auto problem = gw::BatchElementProblem(message);
        if (problem && problem->message.empty()) std::abort();
        if (!problem) ReadLikeTheHandler(message);
        (void)gw::EchoableId(message);
      }
    } else {
      ReadLikeTheHandler(parsed);
    }
    (void)gw::RequestedProtocolVersion(parsed);
  } catch (...) {
    std::abort();
  }
  return 0;
}
