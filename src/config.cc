#include "src/config.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <thread>

#include <boost/program_options.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "policies/dsn.h"
#include "policies/redaction.h"
#include "runtime/launch_command.h"
#include "policies/text.h"
#include "src/duration_flag.h"
#include "src/oauth_options.h"
#include "src/protocol_options.h"

namespace mcpgw {
namespace {

namespace po = boost::program_options;

constexpr char kVersion[] = "mcp-gateway 0.1.0";
// More idle workers than this is memory thrown away (about 135 MB each).
constexpr int kMaxWarmPool = 16;

constexpr char kUsage[] =
    "mcp-gateway: one URL for every database. Starts a DBHub MCP server per\n"
    "DSN on demand, proxies MCP (Streamable HTTP) to it, stops it when idle.\n"
    "\n"
    "Usage: mcp-gateway [options]\n"
    "\n"
    "Example, once started:\n"
    "  curl -s http://127.0.0.1:8080/mcp \\\n"
    "    -H 'Content-Type: application/json' \\\n"
    "    -H 'Accept: application/json, text/event-stream' \\\n"
    "    -H 'X-DBHub-DSN: sqlite:///path/to/file.db' \\\n"
    "    -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}'\n";

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

std::filesystem::path DefaultStateDir() {
  if (geteuid() == 0) return "/var/lib/mcp-gateway";
  const char* home = getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".local" /
         "state" / "mcp-gateway";
}

absl::Status ParseContainerFlags(Config& config, std::string host,
                                 const std::string& tls_ca,
                                 const std::string& tls_cert,
                                 const std::string& tls_key,
                                 const std::string& memory,
                                 const std::string& cpus,
                                 long long pids_limit) {
  if (host.empty()) {
    const char* env = getenv("DOCKER_HOST");
    host = env != nullptr && *env != '\0' ? env : runtime::kDefaultDockerHost;
  }
  std::optional<runtime::EngineTls> tls;
  if (!tls_ca.empty() || !tls_cert.empty() || !tls_key.empty()) {
    tls = runtime::EngineTls{tls_ca, tls_cert, tls_key, true};
  } else {
    tls = runtime::TlsFromDockerEnv(getenv("DOCKER_TLS_VERIFY"),
                                    getenv("DOCKER_CERT_PATH"), getenv("HOME"));
  }
  const bool unix_socket = host.rfind("unix://", 0) == 0 || host.rfind("/", 0) == 0;
  auto address = runtime::ParseDockerHost(host, unix_socket ? std::nullopt : tls);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        text::Cat("--docker-host: ", address.status().message()));
  }
  if (!address->local && config.docker_network.empty()) {
    return absl::InvalidArgumentError(text::Cat(
        "--docker-host=", host, " is not on this machine: its containers "
        "cannot share the gateway's loopback; pass --docker-network with a "
        "network the gateway can reach"));
  }
  config.docker_engine = *address;
  auto memory_bytes = runtime::ParseByteSize(memory);
  if (!memory_bytes.ok()) {
    return absl::InvalidArgumentError(
        text::Cat("--container-memory: ", memory_bytes.status().message()));
  }
  auto nano_cpus = runtime::ParseCpus(cpus);
  if (!nano_cpus.ok()) {
    return absl::InvalidArgumentError(
        text::Cat("--container-cpus: ", nano_cpus.status().message()));
  }
  if (pids_limit < 16) {
    return absl::InvalidArgumentError(
        "--container-pids-limit must be at least 16 (node needs threads)");
  }
  const auto colon = config.docker_user.find(':');
  const std::string uid = config.docker_user.substr(0, colon);
  if (uid.empty() || uid == "0" || uid == "root") {
    return absl::InvalidArgumentError(
        "--docker-user must name a non-root uid[:gid]");
  }
  for (const auto& mount : config.docker_mounts) {
    if (mount.find(':') == std::string::npos || mount[0] != '/') {
      return absl::InvalidArgumentError(text::Cat(
          "--docker-mount='", mount, "': expected /source:/target[:ro]"));
    }
  }
  config.container_limits.memory_bytes = *memory_bytes;
  config.container_limits.nano_cpus = *nano_cpus;
  config.container_limits.pids_limit = pids_limit;
  return absl::OkStatus();
}

// An executable named with a '/' is taken as a path; a bare name is looked
// up in $PATH, as a shell would.
absl::StatusOr<std::string> ResolveExecutable(const std::string& command) {
  if (command.find('/') != std::string::npos) {
    const auto path = std::filesystem::absolute(command).lexically_normal();
    if (access(path.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(text::Cat(
          "--server-command='", command, "' is not an executable file"));
    }
    return path.string();
  }
  const char* path_env = getenv("PATH");
  for (const auto& dir : text::SplitList(path_env != nullptr ? path_env : "", ':')) {
    const auto candidate = std::filesystem::path(dir) / command;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) {
      return std::filesystem::absolute(candidate).string();
    }
  }
  return absl::FailedPreconditionError(text::Cat(
      "--server-command='", command, "' was not found in $PATH"));
}

// The file's first line, trimmed, checked to be a DSN. Errors never show
// the file's content.
absl::StatusOr<std::string> ReadDefaultDsn(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return absl::FailedPreconditionError(
        text::Cat("--default-dsn-file: cannot read ", file.string()));
  }
  std::string line;
  std::getline(in, line);
  const std::string dsn(text::StripWhitespace(line));
  if (dsn.empty()) {
    return absl::InvalidArgumentError(text::Cat(
        "--default-dsn-file: ", file.string(), " holds no DSN on its first line"));
  }
  if (auto parsed = policies::ParseDsn(dsn); !parsed.ok()) {
    return absl::InvalidArgumentError(text::Cat(
        "--default-dsn-file: ", file.string(), ": ", parsed.status().message()));
  }
  return dsn;
}

}  // namespace

absl::StatusOr<Config> ParseCommandLine(int argc, char** argv) {
  Config config;
  std::string state_dir, idle, start, read, backend, grace, liveness, node, dbhub,
      preloader;
  std::string admin_token_file, secret_file, webhook_secret_file, webhook_timeout;
  long long max_body = 0, max_header = 0;
  int threads = 0;
  std::string docker_host, tls_ca, tls_cert, tls_key, memory, cpus;
  std::string server_command, readiness_status, default_dsn_file;
  std::string console_dir;
  long long pids_limit = 0;

  po::options_description options("Options");
  options.add_options()
      ("help,h", "Show this help and exit.")
      ("version", "Show the version and exit.")
      ("listen", po::value(&config.listen)->default_value(config.listen),
       "MCP listener, HOST:PORT (port 0: any free port). Clients POST to "
       "http://HOST:PORT/mcp with the header X-DBHub-DSN.")
      ("admin-listen",
       po::value(&config.admin_listen)->default_value(config.admin_listen),
       "Admin listener, HOST:PORT: /healthz and /readyz, and with the admin "
       "token /metrics and /admin/... (instances, sessions, config, "
       "scaling).")
      ("admin-token-file", po::value(&admin_token_file),
       "File holding the admin bearer token. Default: <state-dir>/admin-token, "
       "generated (0600) at first start.")
      ("secret-file", po::value(&secret_file),
       "File holding the gateway's secret (at least 32 characters), which "
       "keys instances and seals session ids: replicas that share it serve "
       "each other's sessions and instances. Default: <state-dir>/secret, "
       "generated (0600) at first start.")
      ("state-dir", po::value(&state_dir),
       "Directory for the gateway's secret, instance records and the "
       "instances' private working directories (created 0700). Default: "
       "/var/lib/mcp-gateway as root, else ~/.local/state/mcp-gateway.")
      ("idle-timeout", po::value(&idle)->default_value("300s"),
       "Stop an instance after this long with no request in flight and no "
       "open stream (e.g. 90s, 5m).")
      ("max-instances",
       po::value(&config.max_instances)->default_value(config.max_instances),
       "Most DBHub instances at once. When full, the least recently used "
       "idle one is stopped; if none is idle, requests get 503.")
      ("start-timeout", po::value(&start)->default_value("30s"),
       "How long a new DBHub may take to answer /healthz.")
      ("node", po::value(&node),
       "Node.js 22 binary that runs DBHub. Default: "
       "<binary dir>/../.deps/node_modules/.bin/node.")
      ("dbhub", po::value(&dbhub),
       "DBHub's entry script. Default: <binary dir>/../.deps/node_modules/"
       "@bytebase/dbhub/dist/index.js.")
      ("warm-pool", po::value(&config.warm_pool)->default_value(config.warm_pool),
       "DBHub workers kept pre-started with their modules loaded, so that a "
       "new DSN is served in tens of milliseconds instead of about a second. "
       "Each idle worker holds about 135 MB. 0 turns the pool off.")
      ("warm-preloader", po::value(&preloader),
       "The warm pool's worker script, tested with DBHub 1.4.0. Default: "
       "<binary dir>/dbhub_preloader.mjs. If it does not work with the "
       "installed DBHub the gateway logs a warning and spawns plainly.")
      ("console-dir", po::value(&console_dir),
       "The operator console's built files, served at /console on the admin "
       "listener. Default: <binary dir>/../console/dist (built by "
       "deploy/setup.sh). 'off': no console.")
      ("max-body-bytes", po::value(&max_body)->default_value(4 * 1024 * 1024),
       "Largest request body accepted (413 above).")
      ("max-header-bytes", po::value(&max_header)->default_value(16 * 1024),
       "Largest request head accepted (431 above).")
      ("read-timeout", po::value(&read)->default_value("60s"),
       "Time allowed to receive a request, and to keep an idle client "
       "connection open.")
      ("backend-timeout", po::value(&backend)->default_value("300s"),
       "Longest silence accepted from an instance while it answers.")
      ("liveness-timeout", po::value(&liveness)->default_value("60s"),
       "Kill (and so replace) a running DBHub process that has not answered "
       "/healthz for this long: a hung instance. 0 turns the check off.")
      ("shutdown-grace", po::value(&grace)->default_value("10s"),
       "On SIGTERM/SIGINT, how long in-flight requests may take to finish.")
      ("threads", po::value(&threads)->default_value(0),
       "I/O threads (0: one per core).")
      ("log-level", po::value(&config.log_level)->default_value("info"),
       "trace, debug, info, warn, error or off.")
      ("log-format", po::value(&config.log_format)->default_value("text"),
       "text (human-readable) or json (one JSON object per line).")
      ("webhook", po::value(&config.webhooks)->composing(),
       "URL to POST instance and capacity events to (repeatable).")
      ("webhook-secret-file", po::value(&webhook_secret_file),
       "File holding the key of the webhooks' HMAC-SHA256 signature. "
       "Default: <state-dir>/webhook-secret, generated (0600) when needed.")
      ("webhook-timeout", po::value(&webhook_timeout)->default_value("5s"),
       "Time allowed for one webhook delivery attempt.")
      ("capacity-threshold",
       po::value(&config.capacity_threshold)->default_value(0.8, "0.8"),
       "Share of --max-instances at which a capacity.pressure webhook fires; "
       "also the target utilisation behind /admin/scaling.");

  po::options_description container_options(
      "Container runtime (--runtime=docker: Docker Engine or Podman)");
  container_options.add_options()
      ("runtime", po::value(&config.runtime)->default_value(config.runtime),
       "process: DBHub as a local node process. docker: DBHub as a container "
       "through the Docker Engine API (Docker, or Podman's service). "
       "kubernetes: DBHub as a Pod through the Kubernetes API.")
      ("docker-host", po::value(&docker_host),
       "Engine address: unix:///path or tcp://host:port. Default: $DOCKER_HOST, "
       "else unix:///var/run/docker.sock.")
      ("docker-tls-ca", po::value(&tls_ca),
       "CA certificate to verify a tcp:// engine with (TLS). Default with "
       "DOCKER_TLS_VERIFY/DOCKER_CERT_PATH: $DOCKER_CERT_PATH/ca.pem.")
      ("docker-tls-cert", po::value(&tls_cert),
       "Client certificate for a tcp:// engine (TLS).")
      ("docker-tls-key", po::value(&tls_key),
       "Client key for a tcp:// engine (TLS).")
      ("image", po::value(&config.image)->default_value(config.image),
       "DBHub image (deploy/build-dbhub-image.sh builds one offline).")
      ("docker-user",
       po::value(&config.docker_user)->default_value(config.docker_user),
       "uid:gid DBHub runs as in its container (never root).")
      ("docker-network", po::value(&config.docker_network),
       "Engine network for the containers, which the gateway must be able to "
       "reach. Default: the host network with DBHub on 127.0.0.1 (a local "
       "engine only).")
      ("docker-mount", po::value(&config.docker_mounts)->composing(),
       "Bind mount SRC:DST[:ro] into every container (e.g. the directory of "
       "SQLite files). Repeatable.")
      ("container-memory", po::value(&memory)->default_value("512m"),
       "Memory limit per container (e.g. 256m, 1g).")
      ("container-cpus", po::value(&cpus)->default_value("1"),
       "CPU limit per container (e.g. 0.5, 2).")
      ("container-pids-limit", po::value(&pids_limit)->default_value(256),
       "Most processes/threads per container.");
  options.add(container_options);
  ProtocolOptions protocol_options;
  options.add(protocol_options.Describe());
  OAuthOptions oauth_options;
  options.add(oauth_options.Describe());
  KubeOptions kube_options;
  options.add(kube_options.Describe());

  po::options_description server_options(
      "Any MCP server instead of DBHub (process runtime)");
  server_options.add_options()
      ("server-command", po::value(&server_command),
       "Run this program for every instance instead of DBHub: any MCP server "
       "that serves Streamable HTTP on /mcp. It gets PORT, HOST (127.0.0.1), "
       "DSN and MCP_GATEWAY_AUTH_TOKEN in its environment. Turns the warm "
       "pool off. A bare name is looked up in $PATH.")
      ("server-arg", po::value(&config.server_args)->composing(),
       "Argument for --server-command (repeatable, in order; write "
       "--server-arg=--flag for one that starts with -). {port} and {host} "
       "are replaced by the instance's; the DSN never goes in argv.")
      ("server-env", po::value(&config.server_env)->composing(),
       "NAME=VALUE added to every instance's environment, DBHub's too "
       "(repeatable; {port} and {host} replaced). PORT, HOST, DSN and the "
       "token variables are the gateway's own.")
      ("server-readiness-path",
       po::value(&config.server_readiness_path)
           ->default_value(config.server_readiness_path),
       "Path the gateway GETs on a starting instance until it is ready.")
      ("server-readiness-status", po::value(&readiness_status),
       "ok: ready when the readiness path answers 200 (default for DBHub). "
       "any: ready on any HTTP answer, e.g. a 404 from a server without a "
       "health endpoint (default with --server-command).")
      ("default-dsn-file", po::value(&default_dsn_file),
       "File whose first line is a DSN used for requests that carry no "
       "credentials (no X-DBHub-DSN, no Authorization), for clients that "
       "cannot send headers. Default: none, such requests get 401.");
  options.add(server_options);

  std::string allow_schemes, tenants_file, tenants_from, key_file, old_key_file,
      api_key_file;
  long long max_dsn_length = 0;
  po::options_description policy_options("Tenants and policies (docs/tenants.md)");
  policy_options.add_options()
      ("tenants-from", po::value(&tenants_from),
       "Where tenants live: sqlite (the registry in the state directory, "
       "managed through the admin API) or kubernetes (Tenant and Database "
       "resources in --kube-namespace, managed with kubectl; needs "
       "--runtime=kubernetes and the CRDs). Default: sqlite.")
      ("tenants-file", po::value(&tenants_file),
       "TOML file of tenants to create or update at start-up (${VAR} in a "
       "DSN is read from the environment).")
      ("credentials-key-file", po::value(&key_file),
       "File with the AES-256 key (64 hex digits) sealing tenant DSNs. "
       "Default: $MCPGW_CREDENTIALS_KEY, else <state-dir>/credentials.key "
       "(generated, 0600).")
      ("credentials-old-key-file", po::value(&old_key_file),
       "The previous key during a rotation: rows sealed with it are "
       "re-sealed with the current key at start-up.")
      ("allow-schemes", po::value(&allow_schemes),
       "Comma-separated DSN schemes accepted (e.g. postgres,sqlite). "
       "Default: every scheme DBHub serves.")
      ("allow-host", po::value(&config.allow_hosts)->composing(),
       "Host name (*.example.com) or CIDR range a DSN may point at. "
       "Repeatable. Default: any host not denied.")
      ("deny-host", po::value(&config.deny_hosts)->composing(),
       "Host name or CIDR range a DSN may not point at, also checked on "
       "resolved addresses. Repeatable. Link-local ranges and cloud "
       "metadata addresses are always denied.")
      ("max-dsn-length", po::value(&max_dsn_length)->default_value(4096),
       "Longest DSN accepted, in bytes.")
      ("sqlite-dir", po::value(&config.sqlite_dir),
       "Absolute directory: sqlite DSNs must name a file strictly inside it "
       "(.., percent-encoded dots, hosts and relative paths refused; "
       "symbolic links inside it are not followed, so it must hold none to "
       "elsewhere). Default: any file.")
      ("readonly", po::bool_switch(&config.readonly),
       "DSN requests: DBHub refuses writes (execute_sql readonly).")
      ("max-rows", po::value(&config.max_rows)->default_value(0),
       "DSN requests: at most this many rows per query (0: no cap).")
      ("rate-limit", po::value(&config.rate_limit)->default_value(0, "0"),
       "Requests per second per DSN (token bucket; 0: none). Over it: 429.")
      ("rate-burst", po::value(&config.rate_burst)->default_value(0, "0"),
       "Bucket size for --rate-limit (default: the rate, at least 1).")
      ("tenant-rate-limit",
       po::value(&config.tenant_rate_limit)->default_value(0, "0"),
       "Default requests per second per tenant (a tenant's rate_per_second "
       "overrides it; 0: none).")
      ("tenant-rate-burst",
       po::value(&config.tenant_rate_burst)->default_value(0, "0"),
       "Bucket size for --tenant-rate-limit.")
      ("max-concurrent-per-instance",
       po::value(&config.max_concurrent_per_instance)->default_value(0),
       "Requests one instance runs at a time (0: unbounded); more wait in a "
       "queue.")
      ("max-queued-per-instance",
       po::value(&config.max_queued_per_instance)->default_value(16),
       "Requests that may wait for one instance; beyond that: 503.")
      ("allow-dsn-requests",
       po::value(&config.allow_dsn_requests)->default_value(true, "true"),
       "Accept raw X-DBHub-DSN requests (false: tenant tokens only).")
      ("dsn-api-key-file", po::value(&api_key_file),
       "File with a key DSN requests must send as Authorization: Bearer "
       "<key>. Default: none needed.");
  options.add(policy_options);
  SandboxOptions sandbox_options;
  options.add(sandbox_options.Describe());

  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(options)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              values);
    po::notify(values);
  } catch (const po::error& e) {
    return absl::InvalidArgumentError(
        text::Cat(e.what(), " (see --help)"));
  }
  if (values.count("help")) {
    std::cout << kUsage << '\n' << options << '\n';
    std::exit(0);
  }
  if (values.count("version")) {
    std::cout << kVersion << '\n';
    std::exit(0);
  }

  config.state_dir = std::filesystem::absolute(
      state_dir.empty() ? DefaultStateDir() : std::filesystem::path(state_dir));
  config.console_dir =
      console_dir == "off" ? std::filesystem::path()
      : console_dir.empty()
          ? (ExecutableDir() / ".." / "console" / "dist").lexically_normal()
          : std::filesystem::absolute(console_dir);

  struct DurationFlag {
    const char* name;
    const std::string& text;
    std::chrono::milliseconds& out;
  };
  std::chrono::milliseconds read_ms{0}, backend_ms{0};
  if (liveness == "0" || liveness == "0s" || liveness == "off") {
    config.liveness_timeout = std::chrono::milliseconds(0);
  } else {
    auto parsed = ParsePositiveDuration("liveness-timeout", liveness);
    if (!parsed.ok()) return parsed.status();
    config.liveness_timeout = *parsed;
  }
  for (const DurationFlag& flag : {
           DurationFlag{"idle-timeout", idle, config.idle_timeout},
           DurationFlag{"start-timeout", start, config.start_timeout},
           DurationFlag{"read-timeout", read, read_ms},
           DurationFlag{"backend-timeout", backend, backend_ms},
           DurationFlag{"shutdown-grace", grace, config.shutdown_grace},
           DurationFlag{"webhook-timeout", webhook_timeout,
                        config.webhook_timeout},
       }) {
    auto parsed = ParsePositiveDuration(flag.name, flag.text);
    if (!parsed.ok()) return parsed.status();
    flag.out = *parsed;
  }
  config.read_timeout = CeilSeconds(read_ms);
  config.backend_timeout = CeilSeconds(backend_ms);
  if (auto status = protocol_options.Finish(config.listen, config.protocol);
      !status.ok()) {
    return status;
  }
  if (auto status = oauth_options.Finish(config.oauth); !status.ok()) {
    return status;
  }

  if (config.log_format != "text" && config.log_format != "json") {
    return absl::InvalidArgumentError("--log-format must be text or json");
  }
  if (!(config.capacity_threshold > 0 && config.capacity_threshold <= 1)) {
    return absl::InvalidArgumentError(
        "--capacity-threshold must be in (0, 1]");
  }
  for (const auto& url : config.webhooks) {
    if (!text::StartsWithIgnoreCase(url, "http://") &&
        !text::StartsWithIgnoreCase(url, "https://")) {
      return absl::InvalidArgumentError(text::Cat(
          "--webhook='", policies::RedactUrlCredentials(url),
          "' is not an http:// or https:// URL"));
    }
  }
  if (!admin_token_file.empty()) {
    config.admin_token_file = std::filesystem::absolute(admin_token_file);
  }
  if (!secret_file.empty()) config.secret_file = std::filesystem::absolute(secret_file);
  if (!webhook_secret_file.empty()) {
    config.webhook_secret_file = std::filesystem::absolute(webhook_secret_file);
  }
  if (config.max_instances < 1) {
    return absl::InvalidArgumentError("--max-instances must be at least 1");
  }
  if (config.warm_pool < 0 || config.warm_pool > kMaxWarmPool) {
    return absl::InvalidArgumentError(
        text::Cat("--warm-pool must be between 0 and ", kMaxWarmPool));
  }
  if (max_body < 1) {
    return absl::InvalidArgumentError("--max-body-bytes must be positive");
  }
  if (max_header < 1024) {
    return absl::InvalidArgumentError(
        "--max-header-bytes must be at least 1024");
  }
  config.tenants_file = tenants_file;
  config.tenants_from = tenants_from.empty() ? "sqlite" : tenants_from;
  if (config.tenants_from != "sqlite" && config.tenants_from != "kubernetes") {
    return absl::InvalidArgumentError(text::Cat(
        "--tenants-from='", config.tenants_from, "': expected sqlite or kubernetes"));
  }
  if (config.tenants_from == "kubernetes" && config.runtime != "kubernetes") {
    return absl::InvalidArgumentError(
        "--tenants-from=kubernetes needs --runtime=kubernetes (declared "
        "databases' credentials reach the pods from their Secrets)");
  }
  if (config.tenants_from == "kubernetes" && !tenants_file.empty()) {
    return absl::InvalidArgumentError(
        "--tenants-file seeds the SQLite registry; with --tenants-from=kubernetes "
        "declare Tenant and Database resources instead");
  }
  config.credentials_key_file = key_file;
  config.credentials_old_key_file = old_key_file;
  config.dsn_api_key_file = api_key_file;
  for (auto scheme : text::SplitList(allow_schemes, ',')) {
    config.allow_schemes.emplace_back(scheme);
  }
  if (max_dsn_length < 16 || max_dsn_length > 65536) {
    return absl::InvalidArgumentError(
        "--max-dsn-length must be between 16 and 65536");
  }
  config.max_dsn_length = static_cast<std::size_t>(max_dsn_length);
  if (!config.sqlite_dir.empty() && !config.sqlite_dir.is_absolute()) {
    return absl::InvalidArgumentError(
        "--sqlite-dir must be an absolute path");
  }
  if (config.max_rows < 0 || config.rate_limit < 0 || config.rate_burst < 0 ||
      config.tenant_rate_limit < 0 || config.tenant_rate_burst < 0 ||
      config.max_concurrent_per_instance < 0 ||
      config.max_queued_per_instance < 0) {
    return absl::InvalidArgumentError(
        "--max-rows, the rate limits and the per-instance bounds cannot be "
        "negative");
  }
  config.max_body_bytes = static_cast<std::size_t>(max_body);
  config.max_header_bytes = static_cast<std::size_t>(max_header);
  config.threads =
      threads > 0 ? threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  if (!default_dsn_file.empty()) {
    config.default_dsn_file = std::filesystem::absolute(default_dsn_file);
    auto dsn = ReadDefaultDsn(config.default_dsn_file);
    if (!dsn.ok()) return dsn.status();
    config.default_dsn = *std::move(dsn);
  }
  if (auto status = runtime::ValidateExtraEnv(config.server_env); !status.ok()) {
    return status;
  }
  if (config.server_readiness_path.empty() ||
      config.server_readiness_path[0] != '/') {
    return absl::InvalidArgumentError(
        "--server-readiness-path must start with /");
  }
  if (readiness_status.empty()) {
    config.server_readiness_any_status = !server_command.empty();
  } else if (readiness_status == "ok" || readiness_status == "any") {
    config.server_readiness_any_status = readiness_status == "any";
  } else {
    return absl::InvalidArgumentError(
        "--server-readiness-status must be ok or any");
  }
  if (server_command.empty() && !config.server_args.empty()) {
    return absl::InvalidArgumentError(
        "--server-arg needs --server-command");
  }

  if (config.runtime != "kubernetes" && kube_options.cleanup_requested()) {
    return absl::InvalidArgumentError("--kube-cleanup needs --runtime=kubernetes");
  }
  if (config.runtime == "docker") {
    if (!server_command.empty()) {
      return absl::InvalidArgumentError(
          "--server-command works with --runtime=process only (the docker "
          "runtime runs the DBHub image)");
    }
    auto status = ParseContainerFlags(config, docker_host, tls_ca, tls_cert,
                                      tls_key, memory, cpus, pids_limit);
    if (!status.ok()) return status;
    return config;
  }
  if (config.runtime == "kubernetes") {
    if (!server_command.empty()) {
      return absl::InvalidArgumentError(
          "--server-command works with --runtime=process only (the "
          "kubernetes runtime runs the DBHub image)");
    }
    if (auto status = kube_options.Finish(config.kube); !status.ok()) {
      return status;
    }
    return config;
  }
  if (config.runtime != "process") {
    return absl::InvalidArgumentError(text::Cat(
        "--runtime='", config.runtime,
        "': expected process, docker or kubernetes"));
  }

  if (auto status = sandbox_options.Finish(config.state_dir, ExecutableDir(),
                                           config.sandbox);
      !status.ok()) {
    return status;
  }
  if (!server_command.empty()) {
    auto program = ResolveExecutable(server_command);
    if (!program.ok()) return program.status();
    config.server_command = *std::move(program);
    return config;
  }

  const auto deps = ExecutableDir() / ".." / ".deps" / "node_modules";
  config.node_path =
      node.empty() ? (deps / ".bin" / "node").lexically_normal().string()
                   : node;
  config.dbhub_entry =
      dbhub.empty() ? (deps / "@bytebase" / "dbhub" / "dist" / "index.js")
                          .lexically_normal()
                          .string()
                    : dbhub;
  config.warm_preloader =
      preloader.empty()
          ? (ExecutableDir() / "dbhub_preloader.mjs").lexically_normal().string()
          : preloader;
  if (access(config.node_path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        text::Cat("no Node.js binary at ", config.node_path,
                     " (run deploy/setup.sh install, or pass --node)"));
  }
  if (access(config.dbhub_entry.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        text::Cat("no DBHub at ", config.dbhub_entry,
                     " (run deploy/setup.sh install, or pass --dbhub)"));
  }
  return config;
}

namespace {
nlohmann::json EnvNames(const std::vector<std::string>& entries) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& entry : entries) names.push_back(entry.substr(0, entry.find('=')));
  return names;
}
}  // namespace

nlohmann::json EffectiveConfigJson(const Config& config) {
  auto ms = [](std::chrono::milliseconds d) { return d.count(); };
  nlohmann::json webhooks = nlohmann::json::array();
  for (const auto& url : config.webhooks) {
    // A URL may carry credentials or a token in its query: show neither.
    std::string shown = policies::RedactUrlCredentials(url);
    if (auto q = shown.find('?'); q != std::string::npos) {
      shown = shown.substr(0, q) + "?***";
    }
    webhooks.push_back(shown);
  }
  return {
      {"listen", config.listen},
      {"admin_listen", config.admin_listen},
      {"state_dir", config.state_dir.string()},
      {"idle_timeout_ms", ms(config.idle_timeout)},
      {"max_instances", config.max_instances},
      {"start_timeout_ms", ms(config.start_timeout)},
      {"node", config.node_path},
      {"dbhub", config.dbhub_entry},
      {"max_body_bytes", config.max_body_bytes},
      {"max_header_bytes", config.max_header_bytes},
      {"read_timeout_ms", config.read_timeout.count() * 1000},
      {"backend_timeout_ms", config.backend_timeout.count() * 1000},
      {"liveness_timeout_ms", ms(config.liveness_timeout)},
      {"shutdown_grace_ms", ms(config.shutdown_grace)},
      {"threads", config.threads},
      {"log_level", config.log_level},
      {"log_format", config.log_format},
      {"admin_token_file", config.admin_token_file.string()},
      {"secret_file", config.secret_file.string()},
      {"webhooks", webhooks},
      {"webhook_secret_file", config.webhook_secret_file.string()},
      {"webhook_timeout_ms", ms(config.webhook_timeout)},
      {"capacity_threshold", config.capacity_threshold},
      {"protocol", ProtocolConfigJson(config.protocol)},
      {"oauth", OAuthConfigJson(config.oauth)},
      {"runtime", config.runtime},
      {"warm_pool", config.runtime == "process" && config.server_command.empty()
                        ? config.warm_pool
                        : 0},
      {"server",
       {
           {"command", config.server_command.empty()
                           ? nlohmann::json(nullptr)
                           : nlohmann::json(config.server_command)},
           {"args", config.server_args},
           // Names only: values may be secrets.
           {"env_names", EnvNames(config.server_env)},
           {"readiness_path", config.server_readiness_path},
           {"readiness_status",
            config.server_readiness_any_status ? "any" : "ok"},
       }},
      {"default_dsn_file", config.default_dsn_file.empty()
                               ? nlohmann::json(nullptr)
                               : nlohmann::json(config.default_dsn_file.string())},
      {"warm_preloader", config.warm_preloader},
      {"console_dir", config.console_dir.empty()
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(config.console_dir.string())},
      {"sandbox", config.runtime == "process" ? SandboxConfigJson(config.sandbox)
                                              : nlohmann::json(nullptr)},
      {"policies",
       {{"tenants_from", config.tenants_from},
        {"tenants_file", config.tenants_file.string()},
        {"credentials_key_file", config.credentials_key_file.string()},
        {"allow_schemes", config.allow_schemes},
        {"allow_hosts", config.allow_hosts},
        {"deny_hosts", config.deny_hosts},
        {"max_dsn_length", config.max_dsn_length},
        {"sqlite_dir", config.sqlite_dir.string()},
        {"readonly", config.readonly},
        {"max_rows", config.max_rows},
        {"rate_limit", config.rate_limit},
        {"rate_burst", config.rate_burst},
        {"tenant_rate_limit", config.tenant_rate_limit},
        {"tenant_rate_burst", config.tenant_rate_burst},
        {"max_concurrent_per_instance", config.max_concurrent_per_instance},
        {"max_queued_per_instance", config.max_queued_per_instance},
        {"allow_dsn_requests", config.allow_dsn_requests},
        {"dsn_api_key_file", config.dsn_api_key_file.string()}}},
      {"docker",
       config.runtime != "docker"
           ? nlohmann::json(nullptr)
           : nlohmann::json{
                 {"engine", config.docker_engine.display},
                 {"image", config.image},
                 {"user", config.docker_user},
                 {"network", config.docker_network},
                 {"mounts", config.docker_mounts},
                 {"memory_bytes", config.container_limits.memory_bytes},
                 {"nano_cpus", config.container_limits.nano_cpus},
                 {"pids_limit", config.container_limits.pids_limit},
             }},
      {"kubernetes", config.runtime != "kubernetes"
                         ? nlohmann::json(nullptr)
                         : [&] {
                             auto kube = KubeConfigJson(config.kube);
                             kube["image"] = config.image;
                             return kube;
                           }()},
  };
}

}  // namespace mcpgw
