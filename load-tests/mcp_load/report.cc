#include "mcp_load/report.h"

#include <chrono>
#include <cmath>
#include <string>

namespace mcpgw::loadtest {
namespace {

using json = nlohmann::ordered_json;

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// Three decimals are plenty for ms and keep the output readable.
double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

json ErrorsByKind(const PhaseStats& s) {
  json out = json::object();
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    auto o = static_cast<Outcome>(i);
    if (o != Outcome::kOk && s.by_outcome[i] > 0) out[std::string(OutcomeName(o))] = s.by_outcome[i];
  }
  return out;
}

json HttpStatus(const PhaseStats& s) {
  json out = json::object();
  for (const auto& [status, n] : s.http_status) out[std::to_string(status)] = n;
  return out;
}

}  // namespace

json MakeReport(const Options& o, const RunResult& r) {
  const PhaseStats& m = r.measured;
  const double secs = Seconds(r.measured_time);
  const auto lat = m.ok_latency.Summarize();
  json header_names = json::array();
  for (const Header& h : o.headers) header_names.push_back(h.name);

  json report = {
      {"tool", "mcp-load"},
      {"label", o.label},
      {"url", o.url},
      {"header_names", header_names},
      {"mcp_tool", o.tool},
      {"sql", o.sql},
      {"mode", o.rate > 0 ? "open-loop" : "closed-loop"},
      {"concurrency", o.concurrency},
      {"threads", o.threads},
      {"warmup_s", Round3(Seconds(o.warmup))},
      {"duration_cap_s", Round3(Seconds(o.duration))},
      {"requests", m.requests},
      {"ok", m.ok},
      {"errors", m.requests - m.ok},
      {"errors_by_kind", ErrorsByKind(m)},
      {"http_status", HttpStatus(m)},
      {"duration_s", Round3(secs)},
      {"rps", secs > 0 ? Round3(static_cast<double>(m.requests) / secs) : 0.0},
      {"ok_rps", secs > 0 ? Round3(static_cast<double>(m.ok) / secs) : 0.0},
      {"latency_ms",
       {{"p50", Round3(lat.p50_ms)},
        {"p90", Round3(lat.p90_ms)},
        {"p99", Round3(lat.p99_ms)},
        {"max", Round3(lat.max_ms)},
        {"min", Round3(lat.min_ms)},
        {"mean", Round3(lat.mean_ms)}}},
      {"warmup", {{"requests", r.warmup.requests}, {"ok", r.warmup.ok}}},
      {"connections_opened", r.connections_opened},
      {"retried", m.retried},
      {"stopped_by_request_count", r.stopped_by_request_count},
      {"aborted", r.aborted},
  };
  if (o.rate > 0) {
    report["target_rps"] = o.rate;
    if (!r.stopped_by_request_count && !r.aborted) {
      // Slots of the schedule inside the measurement window that were never sent
      // because the server (or this client) fell behind.
      auto scheduled = static_cast<std::uint64_t>(o.rate * Seconds(o.duration));
      report["unsent"] = scheduled > m.requests ? scheduled - m.requests : 0;
    }
  }
  if (o.requests) report["requests_limit"] = *o.requests;
  if (!o.dsn_template.empty()) {
    report["dsns"] = o.dsns;
    report["dsn_spread"] = o.spread_per_request ? "request" : "connection";
  }
  if (o.session) {
    report["sessions"] = {{"opened", r.sessions.opened},
                          {"with_id", r.sessions.with_id},
                          {"failed", r.sessions.failed},
                          {"expired", r.sessions.expired}};
    if (!r.sessions.sample_error.empty()) report["sessions"]["sample_error"] = r.sessions.sample_error;
  }
  std::string sample = !m.sample_error.empty() ? m.sample_error : r.warmup.sample_error;
  if (!sample.empty()) report["sample_error"] = sample;
  return report;
}

}  // namespace mcpgw::loadtest
