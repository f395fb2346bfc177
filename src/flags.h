#pragma once
// The gateway's command-line flags: their declaration and help text only.
// What the values mean, their checks and defaults are in src/config.cc.

#include <string>

#include <boost/program_options/options_description.hpp>

#include "src/config.h"
#include "src/kube_options.h"
#include "src/oauth_options.h"
#include "src/protocol_options.h"
#include "src/sandbox_options.h"

namespace mcpgw {

// Flags read as text (durations, sizes, paths that get defaults) before
// they are checked and turned into a Config. The option groups bind their
// own members: a FlagText must stay where it is once declared.
struct FlagText {
  std::string state_dir, idle, start, read, backend, grace, liveness;
  std::string node, dbhub, preloader, console_dir;
  std::string admin_token_file, secret_file, webhook_secret_file,
      webhook_timeout;
  long long max_body = 0, max_header = 0;
  int threads = 0;
  std::string docker_host, tls_ca, tls_cert, tls_key, memory, cpus;
  long long pids_limit = 0;
  std::string server_command, readiness_status, default_dsn_file;
  std::string allow_schemes, tenants_file, tenants_from, key_file,
      old_key_file, api_key_file;
  long long max_dsn_length = 0;
  ProtocolOptions protocol_options;
  OAuthOptions oauth_options;
  KubeOptions kube_options;
  SandboxOptions sandbox_options;
};

// Every flag, bound to `config` (values taken as they are) or to `raw`.
boost::program_options::options_description DeclareFlags(Config& config,
                                                         FlagText& raw);

// --help's text: what the gateway is, an example, then every flag.
std::string HelpText(const boost::program_options::options_description& flags);

inline constexpr char kVersionText[] = "mcp-gateway 0.1.0";

}  // namespace mcpgw
