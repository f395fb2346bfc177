#include "mcp_load/options.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace mcpgw::loadtest {
namespace {

// Flags that take a value. Boolean flags are handled apart.
constexpr std::string_view kValueFlags[] = {
    "url",    "header",  "tool", "sql",     "concurrency", "duration", "requests",
    "warmup", "timeout", "rate", "threads", "label",       "output",
    "arguments", "protocol-version", "dsn", "dsns", "dsn-header", "dsn-spread",
    "retry-status", "retries", "ready-file", "fixed-id",
};

// Flags without a value.
constexpr std::string_view kBoolFlags[] = {"session", "streams"};

std::string_view CanonicalName(std::string_view name) {
  if (name == "H") return "header";
  if (name == "c") return "concurrency";
  if (name == "d") return "duration";
  if (name == "n") return "requests";
  if (name == "o") return "output";
  return name;
}

bool IsBoolFlag(std::string_view name) {
  for (std::string_view f : kBoolFlags) {
    if (f == name) return true;
  }
  return false;
}

bool TakesValue(std::string_view name) {
  for (std::string_view f : kValueFlags) {
    if (f == name) return true;
  }
  return false;
}

absl::StatusOr<std::int64_t> ParseInt(std::string_view flag, const std::string& v,
                                      std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < min || n > max) {
    return absl::InvalidArgumentError("--" + std::string(flag) + " wants an integer in [" +
                                      std::to_string(min) + ", " + std::to_string(max) +
                                      "], got '" + v + "'");
  }
  return n;
}

absl::StatusOr<std::chrono::nanoseconds> ParseDurationFlag(std::string_view flag,
                                                           const std::string& v) {
  auto d = ParseDuration(v);
  if (!d || d->count() < 0) {
    return absl::InvalidArgumentError("--" + std::string(flag) +
                                      " wants a duration like 20s, 500ms or 2m, got '" + v + "'");
  }
  return *d;
}

absl::Status Apply(Options& o, std::string_view name, const std::string& v, bool& duration_set) {
  if (name == "url") {
    o.url = v;
  } else if (name == "header") {
    auto h = ParseHeader(v);
    if (!h.ok()) return h.status();
    o.headers.push_back(*std::move(h));
  } else if (name == "tool") {
    o.tool = v;
  } else if (name == "sql") {
    o.sql = v;
  } else if (name == "concurrency") {
    auto n = ParseInt(name, v, 1, kMaxConcurrency);
    if (!n.ok()) return n.status();
    o.concurrency = static_cast<int>(*n);
  } else if (name == "threads") {
    auto n = ParseInt(name, v, 1, kMaxThreads);
    if (!n.ok()) return n.status();
    o.threads = static_cast<int>(*n);
  } else if (name == "requests") {
    auto n = ParseInt(name, v, 1, std::int64_t{1} << 40);
    if (!n.ok()) return n.status();
    o.requests = static_cast<std::uint64_t>(*n);
  } else if (name == "duration") {
    auto d = ParseDurationFlag(name, v);
    if (!d.ok()) return d.status();
    if (d->count() == 0) return absl::InvalidArgumentError("--duration must be > 0");
    o.duration = *d;
    duration_set = true;
  } else if (name == "warmup") {
    auto d = ParseDurationFlag(name, v);
    if (!d.ok()) return d.status();
    o.warmup = *d;
  } else if (name == "timeout") {
    auto d = ParseDurationFlag(name, v);
    if (!d.ok()) return d.status();
    if (d->count() == 0) return absl::InvalidArgumentError("--timeout must be > 0");
    o.timeout = *d;
  } else if (name == "rate") {
    double r = 0;
    if (!absl::SimpleAtod(v, &r) || !std::isfinite(r) || r < 0) {
      return absl::InvalidArgumentError("--rate wants requests per second >= 0, got '" + v + "'");
    }
    o.rate = r;
  } else if (name == "label") {
    o.label = v;
  } else if (name == "output") {
    o.output = v;
  } else if (name == "arguments") {
    auto j = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return absl::InvalidArgumentError("--arguments wants a JSON object");
    o.arguments = j.dump();
  } else if (name == "protocol-version") {
    o.protocol_version = v;
  } else if (name == "fixed-id") {
    auto n = ParseInt(name, v, 1, std::numeric_limits<std::int32_t>::max());
    if (!n.ok()) return n.status();
    o.fixed_id = static_cast<std::uint64_t>(*n);
  } else if (name == "dsn") {
    o.dsn_template = v;
  } else if (name == "dsns") {
    auto n = ParseInt(name, v, 1, kMaxDsns);
    if (!n.ok()) return n.status();
    o.dsns = static_cast<int>(*n);
  } else if (name == "dsn-header") {
    auto h = ParseHeader(v + ": x");
    if (!h.ok()) return absl::InvalidArgumentError("--dsn-header: bad header name");
    o.dsn_header = h->name;
  } else if (name == "dsn-spread") {
    if (v != "connection" && v != "request") {
      return absl::InvalidArgumentError("--dsn-spread wants 'connection' or 'request'");
    }
    o.spread_per_request = v == "request";
  } else if (name == "retry-status") {
    for (std::string_view part : text::SplitList(v, ',')) {
      auto n = ParseInt(name, std::string(part), 100, 599);
      if (!n.ok()) return n.status();
      o.retry_statuses.push_back(static_cast<unsigned>(*n));
    }
  } else if (name == "retries") {
    auto n = ParseInt(name, v, 0, kMaxRetries);
    if (!n.ok()) return n.status();
    o.retries = static_cast<int>(*n);
  } else if (name == "ready-file") {
    o.ready_file = v;
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::chrono::nanoseconds> ParseDuration(const std::string& text) {
  const std::string t(text::StripWhitespace(text));
  if (t.empty()) return std::nullopt;
  double seconds = 0;
  if (absl::SimpleAtod(t, &seconds)) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e7) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
  }
  absl::Duration d;
  if (!absl::ParseDuration(t, &d) || d == absl::InfiniteDuration() || d < absl::ZeroDuration()) {
    return std::nullopt;
  }
  return absl::ToChronoNanoseconds(d);
}

absl::StatusOr<Endpoint> ParseUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return absl::InvalidArgumentError("not a URL: '" + url + "'");
  const boost::urls::url_view& u = *parsed;
  if (text::Lower(u.scheme()) != "http") {
    return absl::InvalidArgumentError("only http:// URLs are supported: '" + url + "'");
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    return absl::InvalidArgumentError("URL has no host: '" + url + "'");
  }
  if (u.has_userinfo()) {
    return absl::InvalidArgumentError("credentials in the URL are not supported; use --header");
  }
  Endpoint e;
  e.host = std::string(u.encoded_host_address());
  if (u.host_type() == boost::urls::host_type::ipv6) {
    // encoded_host_address() is bracket-free for IPv6 in Boost.URL.
    if (!e.host.empty() && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  }
  e.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : "80";
  e.target = std::string(u.encoded_path());
  if (e.target.empty()) e.target = "/";
  if (u.has_query()) e.target += "?" + std::string(u.encoded_query());
  e.host_header = std::string(u.encoded_host_and_port());
  return e;
}

absl::StatusOr<Header> ParseHeader(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("--header wants 'Name: value', got '" + text + "'");
  }
  Header h;
  h.name = std::string(text::StripWhitespace(std::string_view(text).substr(0, colon)));
  h.value = std::string(text::StripWhitespace(std::string_view(text).substr(colon + 1)));
  if (h.name.empty() || h.name.find_first_of(" \t\r\n") != std::string::npos ||
      h.value.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("--header: bad header name or value");
  }
  return h;
}

absl::StatusOr<Options> ParseOptions(std::span<const char* const> args) {
  Options o;
  bool duration_set = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (!arg.starts_with('-') || arg == "-" || arg == "--") {
      if (!o.url.empty()) {
        return absl::InvalidArgumentError("unexpected argument '" + std::string(arg) + "'");
      }
      o.url = std::string(arg);
      continue;
    }
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    std::string_view name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    name = CanonicalName(name);
    if (IsBoolFlag(name) && !value) {
      if (name == "session") o.session = true;
      if (name == "streams") o.streams = true;
      continue;
    }
    if (!TakesValue(name)) {
      return absl::InvalidArgumentError("unknown flag '" + std::string(args[i]) + "' (see --help)");
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError("flag --" + std::string(name) + " needs a value");
      }
      value = std::string(args[++i]);
    }
    if (auto s = Apply(o, name, *value, duration_set); !s.ok()) return s;
  }
  if (o.url.empty()) return absl::InvalidArgumentError("--url is required (see --help)");
  auto ep = ParseUrl(o.url);
  if (!ep.ok()) return ep.status();
  o.endpoint = *std::move(ep);
  if (o.requests && !duration_set) o.duration = kDefaultDurationCapWithRequests;
  if (o.dsns > 1 && o.dsn_template.find("{i}") == std::string::npos) {
    return absl::InvalidArgumentError("--dsns > 1 needs a --dsn template with {i}");
  }
  if (o.retries > 0 && o.retry_statuses.empty()) o.retry_statuses.push_back(503);
  if (o.streams && (o.threads != 1 || o.rate > 0 || o.session || o.requests)) {
    return absl::InvalidArgumentError(
        "--streams runs on one thread, closed, without --rate, --session or --requests");
  }
  return o;
}

std::string DsnFor(const Options& o, int i) {
  std::string out = o.dsn_template;
  const std::string index = std::to_string(i);
  for (auto pos = out.find("{i}"); pos != std::string::npos; pos = out.find("{i}", pos)) {
    out.replace(pos, 3, index);
    pos += index.size();
  }
  return out;
}

std::string Usage() {
  return R"(mcp-load: load generator for MCP servers over Streamable HTTP.

Sends JSON-RPC `tools/call` requests (execute_sql by default) as HTTP POST on
keep-alive connections and prints one JSON result on stdout.

Usage: mcp-load --url http://127.0.0.1:8080/mcp [flags]

  --url URL            http:// URL to POST to (also accepted as the only positional argument)
  -H, --header 'N: v'  extra request header; repeatable (e.g. 'X-DBHub-DSN: sqlite:///tmp/x.db',
                       'Authorization: Bearer TOKEN')
  --tool NAME          tool to call (default execute_sql)
  --sql SQL            value of arguments.sql (default "SELECT 1")
  -c, --concurrency N  connections, each with one request in flight (default 8)
  -d, --duration D     measurement time, after the warm-up (default 10s). With --requests
                       it is only a cap (default 10m). The run always stops by itself.
  -n, --requests N     stop after N measured requests (still capped by --duration)
  --warmup D           traffic sent before measuring, not recorded (default 1s; 0 = none)
  --timeout D          per request: connect + write + read (default 10s)
  --rate R             open loop: R requests/s in total, spread over the connections
                       (wrk2-style schedule); latency counts from the intended send time,
                       so a stalled server is not hidden. 0 = closed loop (default):
                       every connection sends its next request as soon as the last answered
  --threads N          I/O threads (default 1)
  --arguments JSON     tool arguments (a JSON object); default {"sql": <--sql>}
  --session            per connection and DSN: send initialize + notifications/initialized
                       first, keep the Mcp-Session-Id of the answer (if any) and send it
                       and MCP-Protocol-Version on later requests; a 404 to a request with a
                       session id starts a new session
  --protocol-version V protocolVersion sent in initialize (default 2025-06-18)
  --fixed-id N         every request (initialize too) has JSON-RPC id N, for a backend
                       that answers one fixed body (default: ids count up from 1)
  --dsn TEMPLATE       send the DSN in --dsn-header; "{i}" becomes the DSN's index
  --dsns N             DSNs 0..N-1 from the template (default 1)
  --dsn-header NAME    header carrying the DSN (default X-DBHub-DSN)
  --dsn-spread S       connection (default): connection c always uses DSN c % N;
                       request: every request takes the next DSN, round robin
  --retry-status LIST  HTTP statuses to retry (comma-separated; default 503 with --retries)
  --retries N          retries per request (default 0), after Retry-After (max 5 s; 0.2 s
                       when absent); latency counts from the first send
  --streams            streams mode: each connection sends one request (use --tool hold)
                       and holds the SSE answer open; measures the time to the first
                       event; holds every stream --duration after all are open
  --ready-file FILE    streams mode: created once every stream had its first event
  --label TEXT         copied into the result
  -o, --output FILE    also write the JSON result to FILE
  -h, --help           this text

Durations: 20s, 500ms, 2m, 1m30s, or a plain number of seconds.

A request is OK only if the HTTP status is 2xx and the answer (JSON, or SSE
`event: message` / `data:` lines) holds a JSON-RPC response with the request's id
that has a `result` without `isError: true`. Latency percentiles are over OK
requests only. Exit status: 0 when the run completed (even with failed requests),
2 on bad flags, 1 when nothing could be measured (e.g. the host does not resolve).

Result fields: requests, ok, errors, errors_by_kind, http_status, duration_s
(first measured send to last measured answer), rps (requests/duration_s), ok_rps,
latency_ms {p50, p90, p99, max, min, mean}, connections_opened, retried, sessions
{opened, with_id, failed, expired}; open loop adds target_rps and unsent (slots of the
schedule never sent because the run fell behind). Streams mode: streams, opened,
ttfe_ms {...} (send to first SSE event), all_open_s, held_s, closed_early,
completed, errors_by_kind.
)";
}

}  // namespace mcpgw::loadtest
