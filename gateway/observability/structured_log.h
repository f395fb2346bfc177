#pragma once
// Logging: every line, from every logger and call site, goes through one
// sink that redacts URL credentials and writes either human-readable text
// or JSON lines (--log-format). Structured events (the access log, instance
// lifecycle) carry fields that become JSON keys, or key=value in text.

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "runtime/pool_api.h"

namespace mcpgw::logs {

enum class Format { kText, kJson };

// "text" or "json"; nullopt otherwise.
std::optional<Format> ParseFormat(std::string_view name);

// Redacts, formats and writes whole lines to a FILE* (stderr by default).
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(Format format, std::FILE* out);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  const Format format_;
  std::FILE* const out_;
};

// Makes the default logger write through a RedactingSink on stderr.
void Install(Format format, spdlog::level::level_enum level);

// Logs a structured event through the default logger: text
// `<event> key=value ...`, or in JSON the fields as keys next to "event".
void Event(spdlog::level::level_enum level, std::string_view event,
           const nlohmann::json& fields);

// One log line per instance lifecycle event.
class LifecycleLogger final : public runtime::PoolObserver {
 public:
  void OnPoolEvent(const runtime::PoolEvent& event) override;
};

}  // namespace mcpgw::logs
