#include "runtime/docker_host.h"

#include "absl/status/status.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "[::1]" ||
         host.substr(0, 4) == "127.";
}

}  // namespace

absl::StatusOr<EngineAddress> ParseDockerHost(
    const std::string& host, const std::optional<EngineTls>& tls) {
  EngineAddress address;
  address.display = host;
  std::string path;
  if (StartsWith(host, "unix://")) {
    path = host.substr(7);
  } else if (StartsWith(host, "/")) {
    path = host;
  }
  if (!path.empty() || StartsWith(host, "unix://")) {
    if (path.empty() || path[0] != '/') {
      return absl::InvalidArgumentError(text::Cat(
          "docker host '", host, "': a unix socket needs an absolute path, "
          "e.g. unix:///var/run/docker.sock"));
    }
    address.unix_socket = path;
    address.base_url = "http://localhost";
    address.local = true;
    return address;
  }
  std::string rest;
  if (StartsWith(host, "tcp://")) {
    rest = host.substr(6);
  } else if (StartsWith(host, "https://")) {
    rest = host.substr(8);
  } else if (StartsWith(host, "http://")) {
    rest = host.substr(7);
  } else {
    return absl::InvalidArgumentError(text::Cat(
        "docker host '", host,
        "' is neither unix:///path nor tcp://host:port"));
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  const bool has_port = colon != std::string::npos &&
                        colon + 1 < rest.size() &&
                        rest.find(']', colon) == std::string::npos;
  if (rest.empty() || rest.find('/') != std::string::npos ||
      rest.find('@') != std::string::npos) {
    return absl::InvalidArgumentError(
        text::Cat("docker host '", host, "': expected tcp://host:port"));
  }
  const std::string hostname = has_port ? rest.substr(0, colon) : rest;
  if (has_port &&
      rest.substr(colon + 1).find_first_not_of("0123456789") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        text::Cat("docker host '", host, "': the port is not a number"));
  }
  const bool use_tls = tls.has_value() || StartsWith(host, "https://");
  // Docker's conventional ports: 2376 with TLS, 2375 without.
  const std::string port =
      has_port ? rest.substr(colon + 1) : (use_tls ? "2376" : "2375");
  address.base_url =
      text::Cat(use_tls ? "https://" : "http://", hostname, ":", port);
  address.tls = tls;
  if (use_tls && !address.tls) address.tls = EngineTls{};
  address.local = IsLoopbackHost(hostname);
  return address;
}

std::optional<EngineTls> TlsFromDockerEnv(const char* tls_verify,
                                          const char* cert_path,
                                          const char* home) {
  const bool verify = tls_verify != nullptr && *tls_verify != '\0';
  std::string dir;
  if (cert_path != nullptr && *cert_path != '\0') {
    dir = cert_path;
  } else if (verify && home != nullptr) {
    dir = text::Cat(home, "/.docker");
  } else {
    return std::nullopt;
  }
  EngineTls tls;
  tls.ca_file = text::Cat(dir, "/ca.pem");
  tls.cert_file = text::Cat(dir, "/cert.pem");
  tls.key_file = text::Cat(dir, "/key.pem");
  tls.verify = verify;
  return tls;
}

}  // namespace mcpgw::runtime
