#pragma once
// One run of the real mcp-gateway binary: started on ports chosen by the
// kernel, found through <state-dir>/listen.json, output captured to a file.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support/process.h"

namespace mcpgw::it {

struct GatewayConfig {
  std::filesystem::path state_dir;
  std::filesystem::path log_file;      // stdout + stderr of the gateway
  std::vector<std::string> extra_flags;  // e.g. "--idle-timeout=2s"
  // Run through this first (e.g. setpriv to start it as another user);
  // it must exec the gateway so that the pid stays the gateway's.
  std::vector<std::string> command_prefix = {};
};

class GatewayProcess {
 public:
  // Starts the gateway and waits until it has written listen.json with its
  // own pid. Throws std::runtime_error (with the gateway's output) if it
  // exits or does not get there in time.
  explicit GatewayProcess(GatewayConfig config);
  // SIGKILL if still running: a graceful stop is the caller's business.
  ~GatewayProcess() = default;

  pid_t pid() const { return process_->pid(); }
  int mcp_port() const { return mcp_port_; }
  int admin_port() const { return admin_port_; }
  std::string mcp_url() const;  // http://127.0.0.1:PORT/mcp
  const GatewayConfig& config() const { return config_; }

  // Everything the gateway wrote to stdout and stderr so far.
  std::string Output() const;

  // SIGTERM, then waits; returns the raw wait status (nullopt: still running
  // after `timeout`).
  std::optional<int> Terminate(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void Kill();
  bool HasExited() { return process_->HasExited(); }
  std::optional<int> wait_status() const { return process_->wait_status(); }

 private:
  void WaitForListenFile();

  GatewayConfig config_;
  std::unique_ptr<ChildProcess> process_;
  int mcp_port_ = 0;
  int admin_port_ = 0;
};

// The flags every test gateway gets: loopback port 0 listeners, the state
// directory, node and DBHub paths. (The warm pool is turned off unless the
// extra flags set --warm-pool.)
std::vector<std::string> BaseGatewayFlags(
    const std::filesystem::path& state_dir);

}  // namespace mcpgw::it
