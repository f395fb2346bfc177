#pragma once
// The gateway's effective configuration, from its command line.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "runtime/container_spec.h"
#include "runtime/docker_host.h"
#include "src/kube_options.h"
#include "src/oauth_options.h"
#include "src/protocol_options.h"
#include "src/sandbox_options.h"

namespace mcpgw {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:9090";
  std::filesystem::path state_dir;
  std::chrono::milliseconds idle_timeout{300'000};
  int max_instances = 32;
  std::chrono::milliseconds start_timeout{30'000};
  std::string node_path;
  std::string dbhub_entry;
  // Any MCP server instead of DBHub (process runtime): empty: DBHub.
  std::string server_command;     // absolute path
  std::vector<std::string> server_args;
  std::vector<std::string> server_env;  // NAME=VALUE
  std::string server_readiness_path = "/healthz";
  // Ready on any HTTP answer to the readiness path, not only 200.
  bool server_readiness_any_status = false;
  // Secret: the DSN used for requests that carry no credentials (read from
  // --default-dsn-file); empty: such requests are refused.
  std::string default_dsn;
  std::filesystem::path default_dsn_file;
  int warm_pool = 2;              // pre-started workers; 0: off
  std::string warm_preloader;     // runtime/dbhub_preloader.mjs
  // The operator console's built files (console/dist); "off": no console.
  std::filesystem::path console_dir;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds backend_timeout{300};
  // A ready process instance silent on /healthz this long is killed; 0: off.
  std::chrono::milliseconds liveness_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  int threads = 2;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  // Empty: <state-dir>/admin-token, generated at first start.
  std::filesystem::path admin_token_file;
  // The gateway's secret from a file (shared by replicas); empty: generated
  // into the state directory.
  std::filesystem::path secret_file;
  std::vector<std::string> webhooks;
  // Empty: <state-dir>/webhook-secret, generated at first start.
  std::filesystem::path webhook_secret_file;
  std::chrono::milliseconds webhook_timeout{5'000};
  // Share of --max-instances that counts as capacity pressure (webhooks)
  // and the target of /admin/scaling's recommended replicas.
  double capacity_threshold = 0.8;
  // MCP sessions, Origin/Host checks, SSE streams.
  ProtocolConfig protocol;
  // The OAuth listener (docs/oauth.md); off unless --oauth-listen.
  OAuthConfig oauth;

  // "process" or "docker" (Docker Engine API: Docker or Podman).
  std::string runtime = "process";
  // Docker runtime only.
  runtime::EngineAddress docker_engine;
  std::string image = "bytebase/dbhub:1.4.0";
  std::string docker_user = "10001:10001";
  std::string docker_network;
  std::vector<std::string> docker_mounts;
  runtime::ContainerLimits container_limits;
  // Kubernetes runtime only (--runtime=kubernetes; --image is shared).
  KubeConfig kube;

  // Tenants and policies (docs/tenants.md).
  std::filesystem::path tenants_file;  // seed, read at start-up
  // Where tenants live: "sqlite" (the registry in the state directory) or
  // "kubernetes" (Tenant and Database resources in --kube-namespace, with
  // --runtime=kubernetes only; explicit, so that a kubernetes gateway
  // without the CRDs keeps its SQLite tenants).
  std::string tenants_from;
  // 64 hex digits. Empty: $MCPGW_CREDENTIALS_KEY, else
  // <state-dir>/credentials.key (generated, 0600).
  std::filesystem::path credentials_key_file;
  std::filesystem::path credentials_old_key_file;  // during a rotation
  std::vector<std::string> allow_schemes;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> deny_hosts;
  std::size_t max_dsn_length = 4096;
  // sqlite DSNs must name files strictly inside it (absolute). Empty: any.
  std::filesystem::path sqlite_dir;
  SandboxConfig sandbox;  // process runtime
  bool readonly = false;  // DSN requests
  int max_rows = 0;       // DSN requests; 0: no cap
  double rate_limit = 0;  // requests/s per DSN instance key; 0: none
  double rate_burst = 0;
  double tenant_rate_limit = 0;  // default per tenant; 0: none
  double tenant_rate_burst = 0;
  int max_concurrent_per_instance = 0;  // 0: unbounded
  int max_queued_per_instance = 16;
  bool allow_dsn_requests = true;
  std::filesystem::path dsn_api_key_file;  // empty: no key needed
};

// GET /admin/config: every setting, with secrets (file contents, URL
// credentials) left out.
nlohmann::json EffectiveConfigJson(const Config& config);

// What a command line asks for: to run with a configuration, or to print a
// text (--help, --version) and exit 0.
struct CommandLine {
  enum class Action { kRun, kPrintAndExit };
  Action action = Action::kRun;
  Config config;
  std::string text;  // kPrintAndExit: what to print
};

// Parses argv, checks every flag and fills in the defaults; looks at the
// files the configuration names (the default DSN's, Node.js, DBHub, the
// --server-command program). Errors name the flag and what is wrong with it.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv);

}  // namespace mcpgw
