#include "gateway/mcp/request_metadata.h"

#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/text.h"
#include "gateway/mcp/protocol_version.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

// The first revision of the stateless era: dates compare as strings.
constexpr std::string_view kFirstStatelessRevision = "2026-07-28";
// How much of a client's value an error message quotes.
constexpr std::size_t kQuoteLimit = 80;

constexpr std::string_view kBase64Prefix = "=?base64?";
constexpr std::string_view kBase64Suffix = "?=";

bool IsRevisionDate(std::string_view value) {
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (value[i] < '0' || value[i] > '9') return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  return value;
}

// Visible ASCII and inner spaces only (the encoding rule of 2026-07-28:
// anything else travels Base64-encoded).
bool IsPlainHeaderValue(std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

std::optional<std::string_view> Header(const Request& request,
                                       std::string_view name) {
  const auto value = FindHeader(request, name);
  if (!value) return std::nullopt;
  return TrimOws(*value);
}

// A header value as the body would spell it: Base64 sentinels decoded;
// nullopt when the value is malformed.
std::optional<std::string> DecodedValue(std::string_view value) {
  if (!IsPlainHeaderValue(value)) return std::nullopt;
  if (value.starts_with(kBase64Prefix) && value.ends_with(kBase64Suffix) &&
      value.size() >= kBase64Prefix.size() + kBase64Suffix.size()) {
    std::string decoded;
    const auto inner = value.substr(
        kBase64Prefix.size(),
        value.size() - kBase64Prefix.size() - kBase64Suffix.size());
    if (!absl::Base64Unescape(absl::string_view(inner.data(), inner.size()),
                              &decoded)) {
      return std::nullopt;
    }
    return decoded;
  }
  return std::string(value);
}

ErrorReply Mismatch(std::string message) {
  return ErrorReply{http::status::bad_request,
                    policies::rpc_code::kHeaderMismatch,
                    text::Cat("Header mismatch: ", message),
                    {}};
}

std::string Quote(std::string_view value) {
  return text::Cat("'", value.substr(0, kQuoteLimit), "'");
}

// The body field Mcp-Name mirrors for `method`, or null.
const char* NameField(std::string_view method) {
  if (method == "tools/call" || method == "prompts/get") return "name";
  if (method == "resources/read") return "uri";
  return nullptr;
}

}  // namespace

std::string_view MetaProtocolVersion(const nlohmann::json& message) {
  if (!message.is_object()) return {};
  const auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return {};
  const auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return {};
  const auto version = meta->find(kMetaProtocolVersion);
  if (version == meta->end() || !version->is_string()) return {};
  return version->get_ref<const std::string&>();
}

ErrorReply UnsupportedVersionReply(std::string_view requested,
                                   const nlohmann::json& body) {
  const bool stateless_client =
      !MetaProtocolVersion(body).empty() || !IsRevisionDate(requested) ||
      requested >= kFirstStatelessRevision;
  std::string message =
      text::Cat("Unsupported protocol version: ", Quote(requested),
                "; this gateway speaks ", SupportedVersionsList());
  if (!stateless_client) {
    return ErrorReply{http::status::bad_request,
                      policies::rpc_code::kUnsupportedProtocolVersion,
                      std::move(message),
                      {}};
  }
  nlohmann::json supported = nlohmann::json::array();
  for (const auto version : StatelessProtocolVersions()) {
    supported.push_back(version);
  }
  return ErrorReply{
      http::status::bad_request,
      policies::rpc_code::kUnsupportedProtocolVersionModern,
      std::move(message),
      {},
      {{"supported", std::move(supported)},
       {"requested", std::string(requested.substr(0, kQuoteLimit))}}};
}

std::optional<ErrorReply> CheckRequestMetadata(const Request& request,
                                               const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  const auto method_it = body.find("method");
  // Responses and malformed messages are the other checks' business; a
  // notification's headers are not defined by 2026-07-28.
  if (method_it == body.end() || !method_it->is_string() ||
      !body.contains("id")) {
    return std::nullopt;
  }
  const auto& method = method_it->get_ref<const std::string&>();

  const auto version = Header(request, kProtocolVersionHeader);
  const auto meta_version = MetaProtocolVersion(body);
  if (!version) {
    return Mismatch("the MCP-Protocol-Version header is missing (the body's "
                    "_meta names " + Quote(meta_version) + ")");
  }
  if (!meta_version.empty() && meta_version != *version) {
    return Mismatch(text::Cat("MCP-Protocol-Version header value ",
                              Quote(*version), " does not match body value ",
                              Quote(meta_version)));
  }

  const auto method_header = Header(request, kMcpMethodHeader);
  if (!method_header) {
    return Mismatch("the Mcp-Method header is missing (body method " +
                    Quote(method) + ")");
  }
  if (*method_header != method) {
    return Mismatch(text::Cat("Mcp-Method header value ",
                              Quote(*method_header),
                              " does not match body value ", Quote(method)));
  }

  const char* field = NameField(method);
  if (field == nullptr) return std::nullopt;
  const auto params = body.find("params");
  if (params == body.end() || !params->is_object()) return std::nullopt;
  const auto value_it = params->find(field);
  if (value_it == params->end() || !value_it->is_string()) {
    return std::nullopt;  // a missing name is the server's -32602
  }
  const auto& value = value_it->get_ref<const std::string&>();
  const auto name_header = Header(request, kMcpNameHeader);
  if (!name_header) {
    return Mismatch(text::Cat("the Mcp-Name header is missing (body ",
                              field, " ", Quote(value), ")"));
  }
  const auto decoded = DecodedValue(*name_header);
  if (!decoded) {
    return Mismatch(
        "the Mcp-Name header holds characters a header value may not carry "
        "(send them Base64-encoded: =?base64?...?=)");
  }
  if (*decoded != value) {
    return Mismatch(text::Cat("Mcp-Name header value ", Quote(*decoded),
                              " does not match body value ", Quote(value)));
  }
  return std::nullopt;
}

}  // namespace mcpgw::gateway
