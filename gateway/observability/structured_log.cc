#include "gateway/observability/structured_log.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>

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

// In the text format a string goes bare when nothing in it needs quoting;
// both writers (nlohmann fields, EventFields) use this one rule.
bool BareInText(std::string_view s) {
  // One comparison a character: find_first_of searches its set for each
  // character, some 1,300 instructions an access line (issue 19).
  if (s.empty()) return false;
  for (const char c : s) {
    if (c == ' ' || c == '\t' || c == '"' || c == '=') return false;
  }
  return true;
}

std::string TextValue(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (BareInText(s)) return s;
  }
  return Dump(value);
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

namespace {

// Past this much waiting text a line is written at once: a loop that
// stays busy must not hold an unbounded log.
constexpr std::size_t kMaxPendingBytes = 64 * 1024;

thread_local PostToThisLoop t_post_to_loop;

}  // namespace

void DeferLogWritesOnThisThread(PostToThisLoop post) {
  t_post_to_loop = std::move(post);
}

RedactingSink::RedactingSink(Format format, std::FILE* out)
    : format_(format), out_(out) {}

RedactingSink::~RedactingSink() { WritePending(); }

void RedactingSink::sink_it_(const spdlog::details::log_msg& msg) {
  AppendLine(pending_, msg);
  if (msg.level <= spdlog::level::info && t_post_to_loop &&
      pending_.size() < kMaxPendingBytes) {
    if (write_posted_) return;
    auto self = weak_from_this();
    if (!self.expired()) {
      write_posted_ = true;
      t_post_to_loop([self = std::move(self)] {
        if (auto sink = self.lock()) sink->WritePosted();
      });
      return;
    }
  }
  WritePending();
}

void RedactingSink::WritePosted() {
  std::lock_guard<std::mutex> lock(mutex_);
  write_posted_ = false;
  WritePending();
}

void RedactingSink::WritePending() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), out_);
  std::fflush(out_);
  pending_.clear();
}

void RedactingSink::AppendLine(std::string& line,
                               const spdlog::details::log_msg& msg) {
  const std::string_view raw(msg.payload.data(), msg.payload.size());
  // A line without a URL (the usual access line) is written as it is,
  // without a redacted copy.
  const bool has_url = common::MayHoldUrlCredentials(raw);
  const std::string redacted_text =
      has_url ? common::RedactUrlCredentials(raw) : std::string();
  const std::string_view payload = has_url ? redacted_text : raw;
  const bool structured = !payload.empty() && payload[0] == kStructuredMark;
  const auto level = spdlog::level::to_string_view(msg.level);
  if (format_ == Format::kJson) {
    line += "{\"time\":\"";
    utc_time_.Append(line, msg.time);
    line += "\",\"level\":\"";
    line.append(level.data(), level.size());
    line += "\",";
    if (structured && payload.size() > 2 && payload[1] == '{') {
      line.append(payload, 2);  // `"event":...}` of the structured object
    } else {
      line += "\"msg\":" +
              Dump(std::string(structured ? payload.substr(1) : payload)) +
              "}";
    }
  } else {
    // `<time> <level> <payload>`, without the structured mark.
    local_time_.Append(line, msg.time);
    line += ' ';
    line.append(level.data(), level.size());
    line += ' ';
    line.append(structured ? payload.substr(1) : payload);
  }
  line += '\n';
}

void RedactingSink::flush_() {
  WritePending();
  std::fflush(out_);
}

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

// A line's payload written on the stack: an access line is some 200 bytes
// in some 40 pieces, and std::string's append is a call with its checks for
// each (issue 19). A payload past the buffer goes on in a string.
class PayloadWriter {
 public:
  [[gnu::always_inline]] void Put(std::string_view piece) {
    if (spill_.empty() && piece.size() <= sizeof(buffer_) - size_) {
      std::memcpy(buffer_ + size_, piece.data(), piece.size());
      size_ += piece.size();
      return;
    }
    Spill(piece);
  }
  [[gnu::always_inline]] void Put(char c) {
    if (spill_.empty() && size_ < sizeof(buffer_)) {
      buffer_[size_++] = c;
      return;
    }
    Spill(std::string_view(&c, 1));
  }
  std::string_view view() const {
    return spill_.empty() ? std::string_view(buffer_, size_) : spill_;
  }

 private:
  [[gnu::noinline]] void Spill(std::string_view piece) {
    if (spill_.empty()) spill_.assign(buffer_, size_);
    spill_.append(piece);
  }

  char buffer_[1024];
  std::size_t size_ = 0;
  std::string spill_;  // everything, once the buffer was too small
};

namespace {

// A string as nlohmann dumps it (ensure_ascii off, invalid UTF-8
// replaced): printable ASCII without '"' and '\\' goes as it is; the rest
// is left to nlohmann, so that the line stays the same.
void AppendJsonString(PayloadWriter& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
  });
  if (!plain) {
    out.Put(Dump(nlohmann::json(std::string(s))));
    return;
  }
  out.Put('"');
  out.Put(s);
  out.Put('"');
}

template <typename Number>
void AppendNumber(PayloadWriter& out, Number value) {
  char buffer[24];
  const char* end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  out.Put(std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
}

// Below this, tenths / 10.0 is written by nlohmann as the tenths' digits
// with a point before the last: the double's shortest form has at most 15
// significant digits.
constexpr unsigned long long kExactTenths = 100'000'000'000'000ULL;

void AppendDouble(PayloadWriter& out, double value) {
  if (!std::isfinite(value)) {
    out.Put("null");
    return;
  }
  // nlohmann's own float formatting, digit for digit.
  std::array<char, 64> buffer;
  const char* end = nlohmann::detail::to_chars(
      buffer.data(), buffer.data() + buffer.size(), value);
  out.Put(std::string_view(buffer.data(),
                           static_cast<std::size_t>(end - buffer.data())));
}

}  // namespace

EventFields& EventFields::Add(const Field& field) {
  // A fixed few (the access log has at most ten); more would be a bug.
  if (size_ < fields_.size()) fields_[size_++] = field;
  return *this;
}

EventFields::Field EventFields::Named(std::string_view key, Field::Kind kind) {
  Field field;
  field.key = key;
  field.kind = kind;
  return field;
}

EventFields& EventFields::String(std::string_view key, std::string_view value) {
  Field field = Named(key, Field::Kind::kString);
  field.text = value;
  return Add(field);
}

EventFields& EventFields::StringOrNull(std::string_view key,
                                       std::string_view value) {
  if (!value.empty()) return String(key, value);
  return Add(Named(key, Field::Kind::kNull));
}

EventFields& EventFields::Integer(std::string_view key, long long value) {
  Field field = Named(key, Field::Kind::kInteger);
  field.integer = value;
  return Add(field);
}

EventFields& EventFields::Unsigned(std::string_view key,
                                   unsigned long long value) {
  Field field = Named(key, Field::Kind::kUnsigned);
  field.unsigned_integer = value;
  return Add(field);
}

EventFields& EventFields::Double(std::string_view key, double value) {
  Field field = Named(key, Field::Kind::kDouble);
  field.real = value;
  return Add(field);
}

EventFields& EventFields::Tenths(std::string_view key,
                                 unsigned long long tenths) {
  Field field = Named(key, Field::Kind::kTenths);
  field.unsigned_integer = tenths;
  return Add(field);
}

void EventFields::AppendValue(PayloadWriter& out, const Field& field,
                              bool text) {
  switch (field.kind) {
    case Field::Kind::kNull:
      out.Put("null");
      return;
    case Field::Kind::kString:
      if (text && BareInText(field.text)) {
        out.Put(field.text);
      } else {
        AppendJsonString(out, field.text);
      }
      return;
    case Field::Kind::kInteger:
      AppendNumber(out, field.integer);
      return;
    case Field::Kind::kUnsigned:
      AppendNumber(out, field.unsigned_integer);
      return;
    case Field::Kind::kDouble:
      AppendDouble(out, field.real);
      return;
    case Field::Kind::kTenths:
      if (field.unsigned_integer >= kExactTenths) {
        AppendDouble(out, static_cast<double>(field.unsigned_integer) / 10.0);
        return;
      }
      AppendNumber(out, field.unsigned_integer / 10);
      out.Put('.');
      out.Put(static_cast<char>('0' + field.unsigned_integer % 10));
      return;
  }
}

void Event(spdlog::level::level_enum level, std::string_view event,
           const EventFields& fields) {
  if (!spdlog::should_log(level)) return;
  using Field = EventFields::Field;
  // In key order, as a nlohmann object (a std::map) holds them. The access
  // log adds its fields in that order: one comparison each finds it so.
  std::array<const Field*, EventFields::kMaxFields> sorted{};
  const std::size_t count = fields.size_;
  for (std::size_t i = 0; i < count; ++i) sorted[i] = &fields.fields_[i];
  const auto by_key = [](const Field* a, const Field* b) { return a->key < b->key; };
  const auto first = sorted.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(count);
  if (!std::is_sorted(first, last, by_key)) std::sort(first, last, by_key);
  PayloadWriter payload;
  payload.Put(kStructuredMark);
  if (g_format.load() == Format::kJson) {
    bool first_field = true;
    const auto separate = [&] {
      payload.Put(first_field ? '{' : ',');
      first_field = false;
    };
    bool event_written = false;
    const auto write_event = [&] {
      separate();
      payload.Put("\"event\":");
      AppendJsonString(payload, event);
      event_written = true;
    };
    for (std::size_t i = 0; i < count; ++i) {
      const Field& field = *sorted[i];
      if (!event_written && field.key > "event") write_event();
      separate();
      AppendJsonString(payload, field.key);
      payload.Put(':');
      EventFields::AppendValue(payload, field, false);
    }
    if (!event_written) write_event();
    payload.Put('}');
  } else {
    payload.Put(event);
    for (std::size_t i = 0; i < count; ++i) {
      const Field& field = *sorted[i];
      payload.Put(' ');
      payload.Put(field.key);
      payload.Put('=');
      EventFields::AppendValue(payload, field, true);
    }
  }
  // As it is: no format string to read, no copy into fmt's buffer.
  const std::string_view line = payload.view();
  spdlog::default_logger_raw()->log(
      level, spdlog::string_view_t(line.data(), line.size()));
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
