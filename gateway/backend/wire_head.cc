#include "gateway/backend/wire_head.h"

#include <string_view>

namespace mcpgw::gateway {
namespace {

constexpr std::size_t kTypicalHead = 512;

void AppendFieldsAndEnd(std::string& head, const http::fields& fields) {
  for (const auto& field : fields) {
    head.append(field.name_string());
    head.append(": ");
    head.append(field.value());
    head.append("\r\n");
  }
  head.append("\r\n");
}

}  // namespace

std::string ResponseHead(const http::response_header<>& response) {
  std::string head;
  head.reserve(kTypicalHead);
  head.append("HTTP/1.1 ");
  head.append(std::to_string(response.result_int()));
  head += ' ';
  // As Beast writes it: the reason the instance gave, else the standard one.
  const auto reason = response.reason();
  if (reason.empty()) {
    head.append(http::obsolete_reason(response.result()));
  } else {
    head.append(reason);
  }
  head.append("\r\n");
  AppendFieldsAndEnd(head, response);
  return head;
}

}  // namespace mcpgw::gateway
