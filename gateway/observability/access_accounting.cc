#include "gateway/observability/access_accounting.h"

#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "gateway/observability/structured_log.h"

namespace mcpgw::gateway {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

void Account(const Accounting& a, GatewayMetrics* metrics) {
  const double seconds = Seconds(std::chrono::steady_clock::now() - a.start);
  if (metrics != nullptr) {
    metrics->RecordRequest({MethodLabel(a.info.method), a.outcome, seconds,
                            a.backend_seconds, a.bytes_in, a.bytes_out});
    if (a.refusal_code) {
      metrics->RecordRefusal(*a.refusal_code, static_cast<int>(a.status));
    }
  }
  const auto or_null = [](const std::string& value) {
    return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
  };
  nlohmann::json fields = {
      {"method", a.info.method},
      {"tool", or_null(a.info.tool)},
      {"key", or_null(a.key_prefix)},
      {"instance", or_null(a.instance_id)},
      {"status", a.status},
      {"outcome", a.outcome},
      {"duration_ms", std::round(seconds * 10000.0) / 10.0},
      {"bytes_in", a.bytes_in},
      {"bytes_out", a.bytes_out},
  };
  if (a.refusal_code) fields["rpc_code"] = *a.refusal_code;
  logs::Event(spdlog::level::info, "access", fields);
}

}  // namespace mcpgw::gateway
