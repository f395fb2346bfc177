#pragma once
// Where the container engine listens: DOCKER_HOST syntax (unix:///path,
// tcp://host:port) plus the TLS files of Docker's conventions. Pure parsing.

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace mcpgw::runtime {

struct EngineTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify = true;  // check the engine's certificate against ca_file
};

struct EngineAddress {
  // The address as given, for messages (it carries no secret).
  std::string display;
  // Set for unix:// addresses; curl then talks HTTP over this socket.
  std::string unix_socket;
  // http://localhost for a unix socket, http(s)://host:port for TCP.
  std::string base_url;
  std::optional<EngineTls> tls;
  // True when the engine runs on this machine (unix socket or a loopback
  // TCP address): its containers can then share the host's loopback.
  bool local = false;
};

inline constexpr const char* kDefaultDockerHost = "unix:///var/run/docker.sock";

// Parses `host` (unix:///path, tcp://host:port, or a bare /path). `tls`
// makes a tcp:// address use https with those files.
absl::StatusOr<EngineAddress> ParseDockerHost(
    const std::string& host, const std::optional<EngineTls>& tls);

// TLS settings from Docker's environment convention: DOCKER_CERT_PATH holds
// ca.pem, cert.pem and key.pem (default ~/.docker when only
// DOCKER_TLS_VERIFY is set); a non-empty DOCKER_TLS_VERIFY checks the
// engine's certificate. Arguments are the variables' values (nullptr when
// unset); nullopt when neither variable asks for TLS.
std::optional<EngineTls> TlsFromDockerEnv(const char* tls_verify,
                                          const char* cert_path,
                                          const char* home);

}  // namespace mcpgw::runtime
