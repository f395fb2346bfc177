#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcpgw::loadtest {

struct Header {
  std::string name;
  std::string value;
};

// Where requests go, split out of --url once at start-up.
struct Endpoint {
  std::string host;         // as in the URL, without brackets
  std::string port;         // "80" when the URL has none
  std::string target;       // path and query, "/" when empty
  std::string host_header;  // value of the Host header
};

struct Options {
  bool help = false;
  std::string url;
  Endpoint endpoint;
  std::vector<Header> headers;  // --header, in command-line order
  std::string tool = "execute_sql";
  std::string sql = "SELECT 1";
  int concurrency = 8;
  // Measurement window; with --requests it is only the cap.
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::optional<std::uint64_t> requests;
  std::chrono::nanoseconds warmup = std::chrono::seconds(1);
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  // Requests per second over all connections; 0 = closed loop.
  double rate = 0;
  int threads = 1;
  std::string label;
  std::string output;  // also write the JSON result here

  // Tool arguments as a JSON object; when empty, {"sql": sql}.
  std::string arguments;
  // Sessions: each connection sends `initialize` (+ notifications/initialized)
  // once per DSN before its first call, keeps the Mcp-Session-Id the answer
  // carries (if any) and sends it, with MCP-Protocol-Version, on later requests.
  bool session = false;
  std::string protocol_version = "2025-06-18";
  // Every request (initialize too) carries this JSON-RPC id, for a backend
  // that answers one fixed body (a static nginx); 0: ids count up.
  std::uint64_t fixed_id = 0;
  // Many DSNs per run: `dsn_template` with "{i}" replaced by 0..dsns-1, sent in
  // the `dsn_header` header. Spread: per connection (connection c uses DSN
  // c % dsns) or per request (a global round robin over the DSNs).
  std::string dsn_template;
  int dsns = 1;
  std::string dsn_header = "X-DBHub-DSN";
  bool spread_per_request = false;
  // Answers with one of these statuses are retried (after Retry-After, capped)
  // up to `retries` times; latency counts from the first send.
  std::vector<unsigned> retry_statuses;
  int retries = 0;
  // Streams mode: every connection sends one request and holds its answer open;
  // see stream_runner.h.
  bool streams = false;
  std::string ready_file;  // streams: created once every stream had its first event
};

// Limits on what the command line may ask for.
inline constexpr int kMaxConcurrency = 10000;
inline constexpr int kMaxThreads = 64;
inline constexpr int kMaxDsns = 1000000;
inline constexpr int kMaxRetries = 100;
inline constexpr auto kMaxRetryWait = std::chrono::seconds(5);
inline constexpr auto kDefaultDurationCapWithRequests = std::chrono::minutes(10);

// Parses argv (without argv[0]). `--name=value` and `--name value` both work.
absl::StatusOr<Options> ParseOptions(std::span<const char* const> args);

// "20s", "500ms", "2m", "1m30s" (absl syntax) or a plain number of seconds.
std::optional<std::chrono::nanoseconds> ParseDuration(const std::string& text);

// Splits "http://host:port/path?query" into an Endpoint; only http:// is supported.
absl::StatusOr<Endpoint> ParseUrl(const std::string& url);

// "Name: value" -> Header; refuses a missing colon, an empty name or CR/LF.
absl::StatusOr<Header> ParseHeader(const std::string& text);

std::string Usage();

// The DSN of index `i`: the template with every "{i}" replaced by i.
std::string DsnFor(const Options& options, int i);

}  // namespace mcpgw::loadtest
