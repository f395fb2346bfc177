#include "src/config.h"

#include <unistd.h>

#include <fstream>
#include <thread>

#include <boost/program_options.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/redaction.h"
#include "common/text.h"
#include "policies/dsn.h"
#include "runtime/launch_command.h"
#include "runtime/sandbox/launch_options.h"
#include "src/duration_flag.h"
#include "src/flags.h"

// The command line in steps: the flags are declared (src/flags.cc), parsed,
// then each group is checked and given its defaults (Apply*: no I/O beyond
// the environment), and last the files the configuration names are looked
// at (ResolveLocalFiles). No step exits: --help and --version come back as
// text to print.
namespace mcpgw {
namespace {

namespace po = boost::program_options;

// More idle workers than this is memory thrown away (about 135 MB each).
constexpr int kMaxWarmPool = 16;

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

absl::Status ApplyDurations(const FlagText& raw, Config& config) {
  if (raw.liveness == "0" || raw.liveness == "0s" || raw.liveness == "off") {
    config.liveness_timeout = std::chrono::milliseconds(0);
  } else {
    auto parsed = ParsePositiveDuration("liveness-timeout", raw.liveness);
    if (!parsed.ok()) return parsed.status();
    config.liveness_timeout = *parsed;
  }
  struct DurationFlag {
    const char* name;
    const std::string& text;
    std::chrono::milliseconds& out;
  };
  std::chrono::milliseconds read_ms{0}, backend_ms{0};
  for (const DurationFlag& flag : {
           DurationFlag{"idle-timeout", raw.idle, config.idle_timeout},
           DurationFlag{"start-timeout", raw.start, config.start_timeout},
           DurationFlag{"read-timeout", raw.read, read_ms},
           DurationFlag{"backend-timeout", raw.backend, backend_ms},
           DurationFlag{"shutdown-grace", raw.grace, config.shutdown_grace},
           DurationFlag{"webhook-timeout", raw.webhook_timeout,
                        config.webhook_timeout},
       }) {
    auto parsed = ParsePositiveDuration(flag.name, flag.text);
    if (!parsed.ok()) return parsed.status();
    flag.out = *parsed;
  }
  config.read_timeout = CeilSeconds(read_ms);
  config.backend_timeout = CeilSeconds(backend_ms);
  return absl::OkStatus();
}

// Where the gateway keeps and finds its own files (paths made absolute).
void ApplyPaths(const FlagText& raw, Config& config) {
  config.state_dir = std::filesystem::absolute(
      raw.state_dir.empty() ? DefaultStateDir()
                            : std::filesystem::path(raw.state_dir));
  config.console_dir =
      raw.console_dir == "off" ? std::filesystem::path()
      : raw.console_dir.empty()
          ? (ExecutableDir() / ".." / "console" / "dist").lexically_normal()
          : std::filesystem::absolute(raw.console_dir);
  if (!raw.admin_token_file.empty()) {
    config.admin_token_file = std::filesystem::absolute(raw.admin_token_file);
  }
  if (!raw.secret_file.empty()) {
    config.secret_file = std::filesystem::absolute(raw.secret_file);
  }
  if (!raw.webhook_secret_file.empty()) {
    config.webhook_secret_file = std::filesystem::absolute(raw.webhook_secret_file);
  }
}

// Logs, webhooks, capacity and the listeners' limits.
absl::Status ApplyServingFlags(const FlagText& raw, Config& config) {
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
          "--webhook='", common::RedactUrlCredentials(url),
          "' is not an http:// or https:// URL"));
    }
  }
  if (config.max_instances < 1) {
    return absl::InvalidArgumentError("--max-instances must be at least 1");
  }
  if (config.warm_pool < 0 || config.warm_pool > kMaxWarmPool) {
    return absl::InvalidArgumentError(
        text::Cat("--warm-pool must be between 0 and ", kMaxWarmPool));
  }
  if (raw.max_body < 1) {
    return absl::InvalidArgumentError("--max-body-bytes must be positive");
  }
  if (raw.max_header < 1024) {
    return absl::InvalidArgumentError(
        "--max-header-bytes must be at least 1024");
  }
  config.max_body_bytes = static_cast<std::size_t>(raw.max_body);
  config.max_header_bytes = static_cast<std::size_t>(raw.max_header);
  config.threads =
      raw.threads > 0
          ? raw.threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return absl::OkStatus();
}

// Tenants and the policies on DSN requests (docs/tenants.md).
absl::Status ApplyPolicyFlags(const FlagText& raw, Config& config) {
  config.tenants_file = raw.tenants_file;
  config.tenants_from = raw.tenants_from.empty() ? "sqlite" : raw.tenants_from;
  if (config.tenants_from != "sqlite" && config.tenants_from != "kubernetes") {
    return absl::InvalidArgumentError(text::Cat(
        "--tenants-from='", config.tenants_from, "': expected sqlite or kubernetes"));
  }
  if (config.tenants_from == "kubernetes" && config.runtime != "kubernetes") {
    return absl::InvalidArgumentError(
        "--tenants-from=kubernetes needs --runtime=kubernetes (declared "
        "databases' credentials reach the pods from their Secrets)");
  }
  if (config.tenants_from == "kubernetes" && !raw.tenants_file.empty()) {
    return absl::InvalidArgumentError(
        "--tenants-file seeds the SQLite registry; with --tenants-from=kubernetes "
        "declare Tenant and Database resources instead");
  }
  config.credentials_key_file = raw.key_file;
  config.credentials_old_key_file = raw.old_key_file;
  config.dsn_api_key_file = raw.api_key_file;
  for (auto scheme : text::SplitList(raw.allow_schemes, ',')) {
    config.allow_schemes.emplace_back(scheme);
  }
  if (raw.max_dsn_length < 16 || raw.max_dsn_length > 65536) {
    return absl::InvalidArgumentError(
        "--max-dsn-length must be between 16 and 65536");
  }
  config.max_dsn_length = static_cast<std::size_t>(raw.max_dsn_length);
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
  return absl::OkStatus();
}

// What instances run: their environment and when they count as ready.
absl::Status ApplyServerFlags(const FlagText& raw, Config& config) {
  if (auto status = runtime::ValidateExtraEnv(config.server_env); !status.ok()) {
    return status;
  }
  if (config.server_readiness_path.empty() ||
      config.server_readiness_path[0] != '/') {
    return absl::InvalidArgumentError(
        "--server-readiness-path must start with /");
  }
  if (raw.readiness_status.empty()) {
    config.server_readiness_any_status = !raw.server_command.empty();
  } else if (raw.readiness_status == "ok" || raw.readiness_status == "any") {
    config.server_readiness_any_status = raw.readiness_status == "any";
  } else {
    return absl::InvalidArgumentError(
        "--server-readiness-status must be ok or any");
  }
  if (raw.server_command.empty() && !config.server_args.empty()) {
    return absl::InvalidArgumentError(
        "--server-arg needs --server-command");
  }
  return absl::OkStatus();
}

// The runtime's own flags; for the process runtime, where DBHub is.
absl::Status ApplyRuntimeFlags(FlagText& raw, Config& config) {
  if (config.runtime != "kubernetes" && raw.kube_options.cleanup_requested()) {
    return absl::InvalidArgumentError("--kube-cleanup needs --runtime=kubernetes");
  }
  if (config.runtime == "docker" || config.runtime == "kubernetes") {
    if (!raw.server_command.empty()) {
      return absl::InvalidArgumentError(text::Cat(
          "--server-command works with --runtime=process only (the ",
          config.runtime, " runtime runs the DBHub image)"));
    }
    return config.runtime == "docker"
               ? ParseContainerFlags(config, raw.docker_host, raw.tls_ca,
                                     raw.tls_cert, raw.tls_key, raw.memory,
                                     raw.cpus, raw.pids_limit)
               : raw.kube_options.Finish(config.kube);
  }
  if (config.runtime != "process") {
    return absl::InvalidArgumentError(text::Cat(
        "--runtime='", config.runtime,
        "': expected process, docker or kubernetes"));
  }
  if (auto status = raw.sandbox_options.Finish(config.state_dir, ExecutableDir(),
                                               config.sandbox);
      !status.ok()) {
    return status;
  }
  if (!raw.server_command.empty()) return absl::OkStatus();
  const auto deps = ExecutableDir() / ".." / ".deps" / "node_modules";
  config.node_path =
      raw.node.empty() ? (deps / ".bin" / "node").lexically_normal().string()
                       : raw.node;
  config.dbhub_entry =
      raw.dbhub.empty() ? (deps / "@bytebase" / "dbhub" / "dist" / "index.js")
                              .lexically_normal()
                              .string()
                        : raw.dbhub;
  config.warm_preloader =
      raw.preloader.empty()
          ? (ExecutableDir() / "dbhub_preloader.mjs").lexically_normal().string()
          : raw.preloader;
  return absl::OkStatus();
}

// The files the configuration names: read (the default DSN) or checked to
// be there (the sandbox launcher, the MCP server to run, Node.js, DBHub).
absl::Status ResolveLocalFiles(const FlagText& raw, Config& config) {
  if (!raw.default_dsn_file.empty()) {
    config.default_dsn_file = std::filesystem::absolute(raw.default_dsn_file);
    auto dsn = ReadDefaultDsn(config.default_dsn_file);
    if (!dsn.ok()) return dsn.status();
    config.default_dsn = *std::move(dsn);
  }
  if (config.runtime != "process") return absl::OkStatus();
  if (access(config.sandbox.launcher.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(text::Cat(
        "no sandbox launcher at ", config.sandbox.launcher,
        " (it is built with the gateway: cmake --build ... --target ",
        sandbox::kLauncherName, ")"));
  }
  if (!raw.server_command.empty()) {
    auto program = ResolveExecutable(raw.server_command);
    if (!program.ok()) return program.status();
    config.server_command = *std::move(program);
    return absl::OkStatus();
  }
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
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine result;
  Config& config = result.config;
  FlagText raw;
  const po::options_description flags = DeclareFlags(config, raw);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(flags)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              values);
    po::notify(values);
  } catch (const po::error& e) {
    return absl::InvalidArgumentError(text::Cat(e.what(), " (see --help)"));
  }
  if (values.count("help") || values.count("version")) {
    result.action = CommandLine::Action::kPrintAndExit;
    result.text = values.count("help") ? HelpText(flags)
                                       : std::string(kVersionText) + "\n";
    return result;
  }
  ApplyPaths(raw, config);
  absl::Status status = ApplyDurations(raw, config);
  if (status.ok()) {
    status = raw.protocol_options.Finish(config.listen, config.protocol);
  }
  if (status.ok()) status = raw.oauth_options.Finish(config.oauth);
  if (status.ok()) status = ApplyServingFlags(raw, config);
  if (status.ok()) status = ApplyPolicyFlags(raw, config);
  if (status.ok()) status = ApplyServerFlags(raw, config);
  if (status.ok()) status = ApplyRuntimeFlags(raw, config);
  if (status.ok()) status = ResolveLocalFiles(raw, config);
  if (!status.ok()) return status;
  return result;
}

}  // namespace mcpgw
