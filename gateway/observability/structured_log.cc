#include "gateway/observability/structured_log.h"

#include <atomic>

#include <spdlog/pattern_formatter.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redaction.h"

namespace mcpgw::logs {
namespace {

// Marks a payload made by Event() in JSON mode: the sink splices its fields
// into the line instead of quoting it as "msg".
constexpr char kStructuredMark = '\x1e';

std::atomic<Format> g_format{Format::kText};

std::string Dump(const nlohmann::json& value) {
  // Replace invalid UTF-8 (say, from a program's output) rather than throw.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TextValue(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (!s.empty() && s.find_first_of(" \t\"=") == std::string::npos) return s;
  }
  return Dump(value);
}

std::string Timestamp(const spdlog::details::log_msg& msg) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time),
                          absl::UTCTimeZone());
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

RedactingSink::RedactingSink(Format format, std::FILE* out)
    : format_(format), out_(out) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%Y-%m-%dT%H:%M:%S.%e%z %l %v"));
}

void RedactingSink::sink_it_(const spdlog::details::log_msg& msg) {
  std::string payload = common::RedactUrlCredentials(
      std::string_view(msg.payload.data(), msg.payload.size()));
  const bool structured = !payload.empty() && payload[0] == kStructuredMark;
  std::string line;
  if (format_ == Format::kJson) {
    const std::string level(spdlog::level::to_string_view(msg.level).data(),
                            spdlog::level::to_string_view(msg.level).size());
    line = "{\"time\":\"" + Timestamp(msg) + "\",\"level\":\"" + level + "\",";
    if (structured && payload.size() > 2 && payload[1] == '{') {
      line.append(payload, 2);  // `"event":...}` of the structured object
    } else {
      line += "\"msg\":" + Dump(structured ? payload.substr(1) : payload) + "}";
    }
    line += '\n';
  } else {
    if (structured) payload.erase(0, 1);
    spdlog::details::log_msg redacted(msg);
    redacted.payload = spdlog::string_view_t(payload.data(), payload.size());
    spdlog::memory_buf_t formatted;
    formatter_->format(redacted, formatted);
    line.assign(formatted.data(), formatted.size());
  }
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void RedactingSink::flush_() { std::fflush(out_); }

void Install(Format format, spdlog::level::level_enum level) {
  g_format = format;
  auto sink = std::make_shared<RedactingSink>(format, stderr);
  auto logger = std::make_shared<spdlog::logger>("mcp-gateway", sink);
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
}

void Event(spdlog::level::level_enum level, std::string_view event,
           const nlohmann::json& fields) {
  if (!spdlog::should_log(level)) return;
  std::string payload(1, kStructuredMark);
  if (g_format.load() == Format::kJson) {
    nlohmann::json object = {{"event", event}};
    for (const auto& [key, value] : fields.items()) object[key] = value;
    payload += Dump(object);
  } else {
    payload.append(event);
    for (const auto& [key, value] : fields.items()) {
      payload += ' ';
      payload += key;
      payload += '=';
      payload += TextValue(value);
    }
  }
  spdlog::log(level, "{}", payload);
}

void LifecycleLogger::OnPoolEvent(const runtime::PoolEvent& event) {
  using Type = runtime::PoolEvent::Type;
  nlohmann::json fields = {{"type", runtime::ToString(event.type)}};
  if (!event.instance_id.empty()) {
    fields["instance"] = event.instance_id;
    fields["key"] = event.key_prefix;
    fields["target"] = event.redacted_target;
  }
  fields["runtime"] = event.runtime;
  auto level = spdlog::level::info;
  switch (event.type) {
    case Type::kStarting:
      break;
    case Type::kReady:
      fields["kind"] = runtime::ToString(event.spawn_kind);
      fields["spawn_ms"] = event.spawn_latency.count();
      break;
    case Type::kFailed:
      level = spdlog::level::warn;
      fields["was"] = runtime::ToString(event.state);
      fields["reason"] = event.reason;
      break;
    case Type::kDraining:
      break;
    case Type::kStopping:
      fields["reason"] = runtime::ToString(event.stop_reason);
      break;
    case Type::kExited:
      break;
    case Type::kCapacityRefused:
      level = spdlog::level::warn;
      break;
  }
  fields["instances"] = event.live_instances;
  fields["max_instances"] = event.max_instances;
  Event(level, "instance", fields);
}

}  // namespace mcpgw::logs
