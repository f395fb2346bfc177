#include "runtime/warm_protocol.h"

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace mcpgw::runtime {

std::string ClaimLine(const WarmClaim& claim) {
  nlohmann::json message = {
      {"dsn", claim.dsn}, {"token", claim.token}, {"port", claim.port}};
  if (!claim.config_path.empty()) message["config"] = claim.config_path;
  return message.dump() + "\n";
}

std::optional<WorkerReport> ParseWorkerReport(std::string_view line) {
  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  auto string_at = [&](const char* name) -> std::optional<std::string> {
    auto it = json.find(name);
    if (it == json.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (json.value("warm", false) == true) {
    WarmReport report;
    report.dbhub_version = string_at("dbhub_version").value_or("unknown");
    report.tested_dbhub_version =
        string_at("tested_dbhub_version").value_or("unknown");
    const std::string rehearsal = string_at("rehearsal").value_or("missing");
    if (rehearsal != "ok") report.rehearsal_error = rehearsal;
    if (auto it = json.find("failed"); it != json.end() && it->is_array()) {
      for (const auto& entry : *it) {
        report.failed.push_back(entry.is_string() ? entry.get<std::string>()
                                                  : entry.dump());
      }
    }
    return report;
  }
  if (json.value("ready", false) == true) {
    auto it = json.find("port");
    if (it == json.end() || !it->is_number_unsigned() ||
        it->get<std::uint64_t>() == 0 || it->get<std::uint64_t>() > 65535) {
      return std::nullopt;
    }
    return ReadyReport{static_cast<std::uint16_t>(it->get<std::uint64_t>())};
  }
  if (auto message = string_at("error")) return ErrorReport{*message};
  return std::nullopt;
}

absl::Status CheckWarmReport(const WarmReport& report) {
  if (report.dbhub_version != report.tested_dbhub_version) {
    return absl::FailedPreconditionError(text::Cat(
        "the preloader was tested with DBHub ", report.tested_dbhub_version,
        ", but DBHub ", report.dbhub_version, " is installed"));
  }
  if (!report.failed.empty()) {
    return absl::FailedPreconditionError(text::Cat(
        "the preloader could not load ", report.failed.size(),
        " of DBHub's modules, first: ", report.failed.front()));
  }
  return absl::OkStatus();
}

std::vector<std::string> TakeLines(std::string& buffer) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (auto end = buffer.find('\n'); end != std::string::npos;
       end = buffer.find('\n', start)) {
    lines.push_back(buffer.substr(start, end - start));
    start = end + 1;
  }
  buffer.erase(0, start);
  return lines;
}

}  // namespace mcpgw::runtime
