#include "test_support/gateway_process.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "test_support/paths.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

constexpr std::chrono::seconds kListenFileTimeout{30};
constexpr std::chrono::milliseconds kListenFilePoll{50};
constexpr std::size_t kOutputTailChars = 4000;

// "127.0.0.1:PORT" -> PORT (0 if it does not look like that).
int PortOf(const nlohmann::json& value) {
  if (!value.is_string()) return 0;
  const std::string text = value.get<std::string>();
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return 0;
  try {
    return std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string Tail(const std::string& text) {
  return text.size() <= kOutputTailChars
             ? text
             : "..." + text.substr(text.size() - kOutputTailChars);
}

}  // namespace

std::vector<std::string> BaseGatewayFlags(
    const std::filesystem::path& state_dir) {
  return {"--listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0",
          "--state-dir=" + state_dir.string(), "--node=" + NodeBinary(),
          "--dbhub=" + DbhubEntry()};
}

GatewayProcess::GatewayProcess(GatewayConfig config)
    : config_(std::move(config)) {
  for (const auto& [what, path] :
       {std::pair<std::string, std::string>{"gateway binary", GatewayBinary()},
        {"node (MCP_GATEWAY_NODE)", NodeBinary()},
        {"DBHub (MCP_GATEWAY_DBHUB)", DbhubEntry()}}) {
    if (!std::filesystem::exists(path)) {
      throw std::runtime_error(what + " not found at " + path);
    }
  }
  SpawnSpec spec;
  spec.argv = config_.command_prefix;
  spec.argv.push_back(GatewayBinary());
  for (auto& flag : BaseGatewayFlags(config_.state_dir)) {
    spec.argv.push_back(std::move(flag));
  }
  spec.argv.insert(spec.argv.end(), config_.extra_flags.begin(),
                   config_.extra_flags.end());
  // The warm pool costs every gateway a few CPU-seconds of Node start-ups
  // that most tests do not need; the tests about it turn it on.
  const bool sets_warm_pool = std::any_of(
      config_.extra_flags.begin(), config_.extra_flags.end(),
      [](const std::string& flag) { return flag.starts_with("--warm-pool"); });
  if (!sets_warm_pool) spec.argv.push_back("--warm-pool=0");
  spec.output_file = config_.log_file;
  process_ = std::make_unique<ChildProcess>(spec);
  WaitForListenFile();
}

void GatewayProcess::WaitForListenFile() {
  const auto file = config_.state_dir / "listen.json";
  std::string last_content;
  const bool found = WaitUntil(
      [&] {
        if (process_->HasExited()) return true;
        last_content = ReadFileOrEmpty(file);
        auto json = nlohmann::json::parse(last_content, nullptr,
                                          /*allow_exceptions=*/false);
        if (!json.is_object()) return false;
        // A listen.json left by an earlier gateway on this state directory
        // does not count.
        if (json.contains("pid") && json["pid"] != process_->pid()) {
          return false;
        }
        mcp_port_ = PortOf(json.value("mcp", nlohmann::json()));
        admin_port_ = PortOf(json.value("admin", nlohmann::json()));
        return mcp_port_ > 0 && admin_port_ > 0;
      },
      kListenFileTimeout, kListenFilePoll);
  if (process_->HasExited()) {
    throw std::runtime_error(
        "the gateway exited before it was ready (" +
        DescribeWaitStatus(*process_->wait_status()) + "); its output:\n" +
        Tail(Output()));
  }
  if (!found) {
    throw std::runtime_error(
        "no usable " + file.string() + " after " +
        std::to_string(kListenFileTimeout.count()) + " s (last content: '" +
        last_content + "'); gateway output:\n" + Tail(Output()));
  }
}

std::string GatewayProcess::mcp_url() const {
  return "http://127.0.0.1:" + std::to_string(mcp_port_) + "/mcp";
}

std::string GatewayProcess::Output() const {
  return ReadFileOrEmpty(config_.log_file);
}

std::optional<int> GatewayProcess::Terminate(
    std::chrono::milliseconds timeout) {
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

void GatewayProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

}  // namespace mcpgw::it
