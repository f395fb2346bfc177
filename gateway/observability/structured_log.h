#pragma once
// Logging: every line, from every logger and call site, goes through one
// sink that redacts URL credentials and writes either human-readable text
// or JSON lines (--log-format). Structured events (the access log, instance
// lifecycle) carry fields that become JSON keys, or key=value in text.

#include <array>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "gateway/observability/log_timestamp.h"
#include "runtime/pool_api.h"

namespace mcpgw::logs {

enum class Format { kText, kJson };

// "text" or "json"; nullopt otherwise.
std::optional<Format> ParseFormat(std::string_view name);

// Lets the info and debug lines logged on this thread wait for the
// thread's event loop: they are written together, by work that `post`
// queues behind the handlers ready now, rather than with a write(2) each
// (the access log writes a line a request; issue 19). `post` must queue on
// this thread's own loop. Warnings and errors, and every line of a thread
// that did not call this, are written at once (after any that wait).
using PostToThisLoop = std::function<void(std::function<void()>)>;
void DeferLogWritesOnThisThread(PostToThisLoop post);

// Redacts, formats and writes whole lines to a FILE* (stderr by default).
// Made with make_shared: a write left for later holds a weak_ptr to it.
class RedactingSink final
    : public spdlog::sinks::base_sink<std::mutex>,
      public std::enable_shared_from_this<RedactingSink> {
 public:
  RedactingSink(Format format, std::FILE* out);
  ~RedactingSink() override;  // writes the lines still waiting

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  // Appends the line as written: time, level, redacted payload, newline.
  void AppendLine(std::string& line, const spdlog::details::log_msg& msg);
  void WritePending();
  // The work posted by a deferred line.
  void WritePosted();

  const Format format_;
  std::FILE* const out_;
  // Guarded by base_sink's mutex, like every call of sink_it_.
  LogTimestamp local_time_{LogTimestamp::Zone::kLocal};
  LogTimestamp utc_time_{LogTimestamp::Zone::kUtc};
  std::string pending_;       // deferred lines not yet written
  bool write_posted_ = false;  // a loop will write pending_
};

// Makes the default logger write through a RedactingSink on stderr.
void Install(Format format, spdlog::level::level_enum level);

// Logs a structured event through the default logger: text
// `<event> key=value ...`, or in JSON the fields as keys next to "event".
void Event(spdlog::level::level_enum level, std::string_view event,
           const nlohmann::json& fields);

class PayloadWriter;  // structured_log.cc: a line's payload, on the stack

// The fields of one structured event, written straight into its line: no
// JSON value is built first (for the access log, a map and a dozen
// allocations a request). The line is the one Event() writes for the
// equivalent nlohmann object: keys in byte order, strings and numbers
// dumped as nlohmann dumps them. Keys are distinct and not "event".
class EventFields {
 public:
  EventFields& String(std::string_view key, std::string_view value);
  // An empty value is written as null.
  EventFields& StringOrNull(std::string_view key, std::string_view value);
  EventFields& Integer(std::string_view key, long long value);
  EventFields& Unsigned(std::string_view key, unsigned long long value);
  EventFields& Double(std::string_view key, double value);
  // `tenths` / 10 as Double writes it ("28.3", "0.0"), without the float
  // formatting (a duration in tenths of a millisecond, the access log's).
  EventFields& Tenths(std::string_view key, unsigned long long tenths);

 private:
  friend void Event(spdlog::level::level_enum level, std::string_view event,
                    const EventFields& fields);
  struct Field {
    enum class Kind { kNull, kString, kInteger, kUnsigned, kDouble, kTenths };
    std::string_view key;
    Kind kind = Kind::kNull;
    std::string_view text;
    long long integer = 0;
    unsigned long long unsigned_integer = 0;
    double real = 0;
  };
  static constexpr std::size_t kMaxFields = 16;
  static Field Named(std::string_view key, Field::Kind kind);
  EventFields& Add(const Field& field);
  static void AppendValue(PayloadWriter& out, const Field& field, bool text);

  std::array<Field, kMaxFields> fields_{};
  std::size_t size_ = 0;
};

// Event() for fields written with EventFields (the values it names must
// outlive the call).
void Event(spdlog::level::level_enum level, std::string_view event,
           const EventFields& fields);

// One log line per instance lifecycle event.
class LifecycleLogger final : public runtime::PoolObserver {
 public:
  void OnPoolEvent(const runtime::PoolEvent& event) override;
};

}  // namespace mcpgw::logs
