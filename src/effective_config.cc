#include "src/config.h"

#include "common/redaction.h"

// GET /admin/config's view of the configuration (declared in config.h).
namespace mcpgw {

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
    std::string shown = common::RedactUrlCredentials(url);
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
