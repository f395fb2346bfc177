#include "gateway/backend/header_rewrite.h"

#include <array>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

// RFC 9110 7.6.1 hop-by-hop headers, plus the proxy ones.
constexpr std::string_view kHopByHop[] = {
    "connection",        "keep-alive",  "proxy-connection",
    "proxy-authenticate", "proxy-authorization", "te",
    "trailer",           "transfer-encoding", "upgrade",
};

bool IsHopByHop(std::string_view name) {
  for (auto hop : kHopByHop) {
    if (text::EqualsIgnoreCase(name, hop)) return true;
  }
  return false;
}

// Headers listed in Connection are hop-by-hop too. Views into the
// Connection fields' values, valid while those fields are; a message
// usually lists one name or none, so nothing is allocated.
using Listed = absl::InlinedVector<std::string_view, 4>;
Listed ConnectionListed(const http::fields& fields) {
  Listed names;
  // A walk over the fields in order, comparing Beast's enum: equal_range
  // looks the name up in Beast's tree, a case-blind string comparison a
  // level, some 450 instructions a message with no Connection field at all
  // (issue 19); the caller walks every field anyway.
  for (const auto& field : fields) {
    if (field.name() != http::field::connection) continue;
    // Split lazily: text::SplitList would build a vector per field.
    for (const absl::string_view piece :
         absl::StrSplit(text::Absl(field.value()), ',')) {
      const auto name =
          text::StripWhitespace(std::string_view(piece.data(), piece.size()));
      if (!name.empty()) names.push_back(name);
    }
  }
  return names;
}

bool IsListed(const Listed& listed, std::string_view name) {
  for (const auto entry : listed) {
    if (text::EqualsIgnoreCase(entry, name)) return true;
  }
  return false;
}

// Credentials and Origin stay with the gateway; so do the session id and
// the event id, which are the gateway's own (the instance's session, if it
// has one, is set by the caller).
bool IsClientCredentialOrOrigin(std::string_view name) {
  return text::EqualsIgnoreCase(name, "mcp-session-id") ||
         text::EqualsIgnoreCase(name, "last-event-id") ||
         text::EqualsIgnoreCase(name, "authorization") ||
         text::EqualsIgnoreCase(name, policies::kDsnHeader) ||
         text::EqualsIgnoreCase(name, "cookie") ||
         text::EqualsIgnoreCase(name, "origin") ||
         text::EqualsIgnoreCase(name, "host");
}

// An expectation the gateway met itself: it reads a request's body whole
// before it sends it on (and told a client that asked to go on), so an
// instance asked again would answer "100 Continue" first, which is no
// answer to relay.
bool IsMetByTheGateway(std::string_view name) {
  return text::EqualsIgnoreCase(name, "expect");
}

// The client's fields an instance never sees, whatever Connection lists.
bool DroppedFromRequest(std::string_view name) {
  return IsHopByHop(name) || IsClientCredentialOrOrigin(name) ||
         IsMetByTheGateway(name) || text::EqualsIgnoreCase(name, "content-length");
}

// The instance's fields a client never sees, whatever Connection lists.
// Transfer-Encoding and Content-Length stay: they describe the body the
// gateway relays as it arrives, and the serializer honours them.
bool DroppedFromResponse(std::string_view name) {
  if (text::EqualsIgnoreCase(name, "transfer-encoding")) return false;
  return IsHopByHop(name) ||
         text::StartsWithIgnoreCase(name, "access-control-") ||
         text::EqualsIgnoreCase(name, "x-powered-by") ||
         text::EqualsIgnoreCase(name, "www-authenticate");
}

// A rule's verdict for every name Beast knows (its field enum), worked out
// once: a field with a known name is judged by one lookup, the others by
// the rule itself. (Each field of each request was compared with some
// sixteen names, issue 19.)
constexpr std::size_t kKnownFields = static_cast<std::size_t>(http::field::xref) + 1;
using KnownVerdicts = std::array<bool, kKnownFields>;

KnownVerdicts VerdictsOf(bool (*rule)(std::string_view)) {
  KnownVerdicts verdicts{};
  for (std::size_t i = 1; i < kKnownFields; ++i) {
    verdicts[i] = rule(http::to_string(static_cast<http::field>(i)));
  }
  return verdicts;
}

template <typename Field>
bool Judge(const KnownVerdicts& verdicts, bool (*rule)(std::string_view),
           const Field& field) {
  const auto known = static_cast<std::size_t>(field.name());
  return known != 0 && known < kKnownFields ? verdicts[known]
                                            : rule(field.name_string());
}

}  // namespace

BackendRequest BuildBackendRequest(const Request& client_request,
                                   std::string_view instance_fields) {
  BackendRequest out(client_request.method(), client_request.target());
  static const KnownVerdicts kDropped = VerdictsOf(DroppedFromRequest);
  const auto listed = ConnectionListed(client_request.base());
  for (const auto& field : client_request.base()) {
    const auto name = field.name_string();
    if (Judge(kDropped, DroppedFromRequest, field) || IsListed(listed, name)) {
      continue;
    }
    out.AddField(name, field.value());
  }
  out.AddRenderedFields(instance_fields);
  out.SetBody(client_request.body());
  return out;
}

BackendRequest NewBackendRequest(http::verb method, std::string body,
                                 std::string_view protocol_version,
                                 std::string_view instance_fields) {
  BackendRequest out(method, "/mcp");
  out.AddRenderedFields(instance_fields);
  out.AddField("Content-Type", "application/json");
  out.AddField("Accept", "application/json, text/event-stream");
  if (!protocol_version.empty()) {
    out.AddField("MCP-Protocol-Version", protocol_version);
  }
  out.SetBody(std::move(body));
  return out;
}

void CleanBackendResponseHeaders(http::fields& fields) {
  const auto listed = ConnectionListed(fields);
  // Erased once all are judged: `listed` points into Connection's value.
  absl::InlinedVector<http::fields::const_iterator, 8> drop;
  static const KnownVerdicts kDropped = VerdictsOf(DroppedFromResponse);
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    // The body's framing stays, even where Connection lists it.
    if (it->name() == http::field::transfer_encoding) continue;
    if (Judge(kDropped, DroppedFromResponse, *it) ||
        IsListed(listed, it->name_string())) {
      drop.push_back(it);
    }
  }
  for (const auto& it : drop) fields.erase(it);
}

}  // namespace mcpgw::gateway
