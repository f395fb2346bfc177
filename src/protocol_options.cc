#include "src/protocol_options.h"

#include <boost/program_options/value_semantic.hpp>

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "src/duration_flag.h"

namespace mcpgw {
namespace po = boost::program_options;

namespace {

// "a,b" and repeated flags alike.
std::vector<std::string> SplitAll(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (auto piece : text::SplitList(value, ',')) out.emplace_back(piece);
  }
  return out;
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  const std::string host = listen.substr(0, colon);
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

po::options_description ProtocolOptions::Describe() {
  po::options_description options("MCP protocol");
  options.add_options()
      ("session-ttl", po::value(&session_ttl_)->default_value(session_ttl_),
       "How long an Mcp-Session-Id the gateway issues stays valid (e.g. 24h). "
       "Sessions are sealed tokens: they survive reaps, instance crashes and "
       "gateway restarts, and work on every gateway sharing the secret.")
      ("allowed-origins", po::value(&allowed_origins_)->composing(),
       "Origins (scheme://host[:port], comma-separated or repeated, * for any) "
       "whose browser requests are accepted; others get 403. Default: none "
       "besides the gateway's own host.")
      ("allowed-hosts", po::value(&allowed_hosts_)->composing(),
       "Host header values accepted besides localhost, 127.0.0.0/8 and [::1] "
       "(DNS-rebinding protection), e.g. the name a proxy forwards; * for "
       "any. Default: loopback names only when --listen is a loopback "
       "address, any host otherwise (with a warning).")
      ("sse-keepalive",
       po::value(&sse_keepalive_)->default_value(sse_keepalive_),
       "A comment line is sent on an SSE stream silent for this long.")
      ("replay-buffer-bytes",
       po::value(&replay_bytes_)->default_value(replay_bytes_),
       "Bytes of events kept per SSE stream for clients that reconnect with "
       "Last-Event-ID.")
      ("replay-buffer-age",
       po::value(&replay_age_)->default_value(replay_age_),
       "How long those events are kept, and a finished stream stays "
       "resumable.");
  return options;
}

absl::Status ProtocolOptions::Finish(const std::string& listen,
                                     ProtocolConfig& out) {
  auto ttl = ParsePositiveDuration("session-ttl", session_ttl_);
  if (!ttl.ok()) return ttl.status();
  auto keepalive = ParsePositiveDuration("sse-keepalive", sse_keepalive_);
  if (!keepalive.ok()) return keepalive.status();
  auto age = ParsePositiveDuration("replay-buffer-age", replay_age_);
  if (!age.ok()) return age.status();
  if (replay_bytes_ < 1024) {
    return absl::InvalidArgumentError(
        "--replay-buffer-bytes must be at least 1024");
  }
  out.session_ttl = CeilSeconds(*ttl);
  out.sse_keepalive = CeilSeconds(*keepalive);
  out.replay_buffer_age = CeilSeconds(*age);
  out.replay_buffer_bytes = static_cast<std::size_t>(replay_bytes_);
  out.allowed_origins = SplitAll(allowed_origins_);
  out.allowed_hosts = SplitAll(allowed_hosts_);
  if (out.allowed_hosts.empty() && !IsLoopbackListen(listen)) {
    // Reached by names the gateway cannot know (a service name, a proxy):
    // refusing them all would make the default unusable.
    spdlog::warn(
        "--listen={} is not a loopback address and --allowed-hosts is not "
        "set: any Host header is accepted (set --allowed-hosts to the names "
        "clients use, to guard against DNS rebinding)",
        listen);
    out.allowed_hosts = {"*"};
  }
  return absl::OkStatus();
}

nlohmann::json ProtocolConfigJson(const ProtocolConfig& config) {
  return {
      {"session_ttl_s", config.session_ttl.count()},
      {"allowed_origins", config.allowed_origins},
      {"allowed_hosts", config.allowed_hosts},
      {"sse_keepalive_s", config.sse_keepalive.count()},
      {"replay_buffer_bytes", config.replay_buffer_bytes},
      {"replay_buffer_age_s", config.replay_buffer_age.count()},
  };
}

}  // namespace mcpgw
