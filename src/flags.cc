#include "src/flags.h"

#include <sstream>

#include <boost/program_options.hpp>

namespace mcpgw {
namespace {

namespace po = boost::program_options;

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

}  // namespace

po::options_description DeclareFlags(Config& config, FlagText& raw) {
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
      ("admin-token-file", po::value(&raw.admin_token_file),
       "File holding the admin bearer token. Default: <state-dir>/admin-token, "
       "generated (0600) at first start.")
      ("secret-file", po::value(&raw.secret_file),
       "File holding the gateway's secret (at least 32 characters), which "
       "keys instances and seals session ids: replicas that share it serve "
       "each other's sessions and instances. Default: <state-dir>/secret, "
       "generated (0600) at first start.")
      ("state-dir", po::value(&raw.state_dir),
       "Directory for the gateway's secret, instance records and the "
       "instances' private working directories (created 0700). Default: "
       "/var/lib/mcp-gateway as root, else ~/.local/state/mcp-gateway.")
      ("idle-timeout", po::value(&raw.idle)->default_value("300s"),
       "Stop an instance after this long with no request in flight and no "
       "open stream (e.g. 90s, 5m).")
      ("max-instances",
       po::value(&config.max_instances)->default_value(config.max_instances),
       "Most DBHub instances at once. When full, the least recently used "
       "idle one is stopped; if none is idle, requests get 503.")
      ("start-timeout", po::value(&raw.start)->default_value("30s"),
       "How long a new DBHub may take to answer /healthz.")
      ("node", po::value(&raw.node),
       "Node.js 22 binary that runs DBHub. Default: "
       "<binary dir>/../.deps/node_modules/.bin/node.")
      ("dbhub", po::value(&raw.dbhub),
       "DBHub's entry script. Default: <binary dir>/../.deps/node_modules/"
       "@bytebase/dbhub/dist/index.js.")
      ("warm-pool", po::value(&config.warm_pool)->default_value(config.warm_pool),
       "DBHub workers kept pre-started with their modules loaded, so that a "
       "new DSN is served in tens of milliseconds instead of about a second. "
       "Each idle worker holds about 135 MB. 0 turns the pool off.")
      ("warm-preloader", po::value(&raw.preloader),
       "The warm pool's worker script, tested with DBHub 1.4.0. Default: "
       "<binary dir>/dbhub_preloader.mjs. If it does not work with the "
       "installed DBHub the gateway logs a warning and spawns plainly.")
      ("console-dir", po::value(&raw.console_dir),
       "The operator console's built files, served at /console on the admin "
       "listener. Default: <binary dir>/../console/dist (built by "
       "deploy/setup.sh). 'off': no console.")
      ("max-body-bytes", po::value(&raw.max_body)->default_value(4 * 1024 * 1024),
       "Largest request body accepted (413 above).")
      ("max-header-bytes", po::value(&raw.max_header)->default_value(16 * 1024),
       "Largest request head accepted (431 above).")
      ("read-timeout", po::value(&raw.read)->default_value("60s"),
       "Time allowed to receive a request, and to keep an idle client "
       "connection open.")
      ("backend-timeout", po::value(&raw.backend)->default_value("300s"),
       "Longest silence accepted from an instance while it answers.")
      ("liveness-timeout", po::value(&raw.liveness)->default_value("60s"),
       "Kill (and so replace) a running DBHub process that has not answered "
       "/healthz for this long: a hung instance. 0 turns the check off.")
      ("shutdown-grace", po::value(&raw.grace)->default_value("10s"),
       "On SIGTERM/SIGINT, how long in-flight requests may take to finish.")
      ("threads", po::value(&raw.threads)->default_value(0),
       "I/O threads (0: one per core).")
      ("log-level", po::value(&config.log_level)->default_value("info"),
       "trace, debug, info, warn, error or off.")
      ("log-format", po::value(&config.log_format)->default_value("text"),
       "text (human-readable) or json (one JSON object per line).")
      ("webhook", po::value(&config.webhooks)->composing(),
       "URL to POST instance and capacity events to (repeatable).")
      ("webhook-secret-file", po::value(&raw.webhook_secret_file),
       "File holding the key of the webhooks' HMAC-SHA256 signature. "
       "Default: <state-dir>/webhook-secret, generated (0600) when needed.")
      ("webhook-timeout", po::value(&raw.webhook_timeout)->default_value("5s"),
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
      ("docker-host", po::value(&raw.docker_host),
       "Engine address: unix:///path or tcp://host:port. Default: $DOCKER_HOST, "
       "else unix:///var/run/docker.sock.")
      ("docker-tls-ca", po::value(&raw.tls_ca),
       "CA certificate to verify a tcp:// engine with (TLS). Default with "
       "DOCKER_TLS_VERIFY/DOCKER_CERT_PATH: $DOCKER_CERT_PATH/ca.pem.")
      ("docker-tls-cert", po::value(&raw.tls_cert),
       "Client certificate for a tcp:// engine (TLS).")
      ("docker-tls-key", po::value(&raw.tls_key),
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
      ("container-memory", po::value(&raw.memory)->default_value("512m"),
       "Memory limit per container (e.g. 256m, 1g).")
      ("container-cpus", po::value(&raw.cpus)->default_value("1"),
       "CPU limit per container (e.g. 0.5, 2).")
      ("container-pids-limit", po::value(&raw.pids_limit)->default_value(256),
       "Most processes/threads per container.");
  options.add(container_options);
  options.add(raw.protocol_options.Describe());
  options.add(raw.oauth_options.Describe());
  options.add(raw.kube_options.Describe());

  po::options_description server_options(
      "Any MCP server instead of DBHub (process runtime)");
  server_options.add_options()
      ("server-command", po::value(&raw.server_command),
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
      ("server-readiness-status", po::value(&raw.readiness_status),
       "ok: ready when the readiness path answers 200 (default for DBHub). "
       "any: ready on any HTTP answer, e.g. a 404 from a server without a "
       "health endpoint (default with --server-command).")
      ("default-dsn-file", po::value(&raw.default_dsn_file),
       "File whose first line is a DSN used for requests that carry no "
       "credentials (no X-DBHub-DSN, no Authorization), for clients that "
       "cannot send headers. Default: none, such requests get 401.");
  options.add(server_options);

  po::options_description policy_options("Tenants and policies (docs/tenants.md)");
  policy_options.add_options()
      ("tenants-from", po::value(&raw.tenants_from),
       "Where tenants live: sqlite (the registry in the state directory, "
       "managed through the admin API) or kubernetes (Tenant and Database "
       "resources in --kube-namespace, managed with kubectl; needs "
       "--runtime=kubernetes and the CRDs). Default: sqlite.")
      ("tenants-file", po::value(&raw.tenants_file),
       "TOML file of tenants to create or update at start-up (${VAR} in a "
       "DSN is read from the environment).")
      ("credentials-key-file", po::value(&raw.key_file),
       "File with the AES-256 key (64 hex digits) sealing tenant DSNs. "
       "Default: $MCPGW_CREDENTIALS_KEY, else <state-dir>/credentials.key "
       "(generated, 0600).")
      ("credentials-old-key-file", po::value(&raw.old_key_file),
       "The previous key during a rotation: rows sealed with it are "
       "re-sealed with the current key at start-up.")
      ("allow-schemes", po::value(&raw.allow_schemes),
       "Comma-separated DSN schemes accepted (e.g. postgres,sqlite). "
       "Default: every scheme DBHub serves.")
      ("allow-host", po::value(&config.allow_hosts)->composing(),
       "Host name (*.example.com) or CIDR range a DSN may point at. "
       "Repeatable. Default: any host not denied.")
      ("deny-host", po::value(&config.deny_hosts)->composing(),
       "Host name or CIDR range a DSN may not point at, also checked on "
       "resolved addresses. Repeatable. Link-local ranges and cloud "
       "metadata addresses are always denied.")
      ("max-dsn-length", po::value(&raw.max_dsn_length)->default_value(4096),
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
      ("dsn-api-key-file", po::value(&raw.api_key_file),
       "File with a key DSN requests must send as Authorization: Bearer "
       "<key>. Default: none needed.");
  options.add(policy_options);
  options.add(raw.sandbox_options.Describe());
  return options;
}

std::string HelpText(const po::options_description& flags) {
  std::ostringstream out;
  out << kUsage << '\n' << flags << '\n';
  return out.str();
}

}  // namespace mcpgw
