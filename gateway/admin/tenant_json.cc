#include "gateway/admin/tenant_json.h"

namespace mcpgw::gateway {

nlohmann::json TenantToJson(const policies::TenantRecord& tenant) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& source : tenant.sources) {
    sources.push_back({{"id", source.id},
                       {"scheme", source.dsn.scheme},
                       {"dsn", source.dsn.redacted}});
  }
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& token : tenant.tokens) {
    tokens.push_back({{"id", token.id},
                      {"label", token.label},
                      {"created_at", token.created_at},
                      {"revoked_at", token.revoked_at
                                         ? nlohmann::json(*token.revoked_at)
                                         : nullptr}});
  }
  return {{"id", tenant.id},
          {"revision", tenant.revision},
          {"options", policies::TenantOptionsToJson(tenant.options)},
          {"sources", sources},
          {"tokens", tokens},
          {"created_at", tenant.created_at},
          {"updated_at", tenant.updated_at}};
}

}  // namespace mcpgw::gateway
