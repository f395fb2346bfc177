#include "gateway/observability/access_accounting.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "gateway/observability/structured_log.h"

namespace mcpgw::gateway {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

void Account(const Accounting& a, GatewayMetrics* metrics) {
  const double seconds = Seconds(a.clock->Now() - a.start);
  if (metrics != nullptr) {
    metrics->RecordRequest({MethodLabel(a.info.method), a.outcome, seconds,
                            a.backend_seconds, a.bytes_in, a.bytes_out});
    if (a.refusal_code) {
      metrics->RecordRefusal(*a.refusal_code, static_cast<int>(a.status));
    }
  }
  // Added in key order, the order the line has: Event's sort then finds
  // nothing to move (sorting the fields cost some 1,000 instructions a
  // request, issue 19).
  logs::EventFields fields;
  fields.Unsigned("bytes_in", a.bytes_in)
      .Unsigned("bytes_out", a.bytes_out)
      .Tenths("duration_ms", static_cast<unsigned long long>(
                                 std::llround(std::max(seconds, 0.0) * 10000.0)))
      .StringOrNull("instance", a.instance_id)
      .StringOrNull("key", a.key_prefix)
      .String("method", a.info.method)
      .String("outcome", a.outcome);
  if (a.refusal_code) fields.Integer("rpc_code", *a.refusal_code);
  fields.Unsigned("status", a.status).StringOrNull("tool", a.info.tool);
  logs::Event(spdlog::level::info, "access", fields);
}

}  // namespace mcpgw::gateway
