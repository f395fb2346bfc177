#include "gateway/mcp/json_parse.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <boost/json/basic_parser_impl.hpp>
// Boost.JSON's compiled part (error categories, number tables), built here
// once: Debian ships its headers, not the library.
#include <boost/json/src.hpp>

#include "absl/container/inlined_vector.h"

namespace mcpgw::gateway {
namespace {

namespace bj = boost::json;

// The members every Boost.JSON handler has; the limits are those of the
// text itself (the body limit already bounds it). Numbers, booleans and
// null become nlohmann values, handed to Derived::OnScalar.
template <typename Derived>
class HandlerBase {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    number_text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, bj::string_view s, bj::error_code&) {
    Self().OnScalar(Integer(i, s));
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    Self().OnScalar(nlohmann::json(u));
    return true;
  }
  bool on_double(double, bj::string_view s, bj::error_code& ec) {
    auto value = Double(s);
    if (!value) return Refuse(ec);
    Self().OnScalar(std::move(*value));
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    Self().OnScalar(nlohmann::json(b));
    return true;
  }
  bool on_null(bj::error_code&) {
    Self().OnScalar(nlohmann::json(nullptr));
    return true;
  }

 private:
  Derived& Self() { return static_cast<Derived&>(*this); }

  // A number as nlohmann types it: unsigned when not negative, a double
  // read from its text by strtod (nlohmann's own reading) when it has a
  // fraction or an exponent or does not fit 64 bits.
  nlohmann::json Integer(std::int64_t value, bj::string_view rest) {
    const bool minus = number_text_.empty()
                           ? (!rest.empty() && rest.front() == '-')
                           : number_text_.front() == '-';
    number_text_.clear();
    if (minus) return nlohmann::json(value);
    return nlohmann::json(static_cast<std::uint64_t>(value));
  }
  // nullopt for a number out of a double's range, which nlohmann refuses
  // (Boost.JSON would take it as infinite).
  std::optional<nlohmann::json> Double(bj::string_view rest) {
    number_text_.append(rest.data(), rest.size());
    const double value = std::strtod(number_text_.c_str(), nullptr);
    number_text_.clear();
    if (!std::isfinite(value)) return std::nullopt;
    return nlohmann::json(value);
  }
  // Stops the parse: nlohmann's parse of the text then decides.
  static bool Refuse(bj::error_code& ec) {
    ec = bj::error::exponent_overflow;
    return false;
  }

  std::string number_text_;
};

// Parses `text` with `handler`; false when Boost.JSON refuses it.
template <typename Handler>
bool Run(bj::basic_parser<Handler>& parser, std::string_view text) {
  bj::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size();
}

bj::parse_options Options() {
  bj::parse_options options;
  options.max_depth = kMaxFastDepth;
  return options;
}

// Builds the nlohmann value as Boost.JSON reads the text.
class DomBuilder : public HandlerBase<DomBuilder> {
 public:
  nlohmann::json TakeRoot() { return std::move(root_); }

  bool on_object_begin(bj::error_code&) {
    open_.push_back(Put(nlohmann::json::object()));
    return true;
  }
  bool on_object_end(std::size_t, bj::error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_array_begin(bj::error_code&) {
    open_.push_back(Put(nlohmann::json::array()));
    return true;
  }
  bool on_array_end(std::size_t, bj::error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    text_.append(s.data(), s.size());
    key_.swap(text_);
    text_.clear();
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    if (text_.empty()) {
      Put(nlohmann::json(std::string(s.data(), s.size())));
    } else {
      text_.append(s.data(), s.size());
      Put(nlohmann::json(std::move(text_)));
      text_.clear();
    }
    return true;
  }
  void OnScalar(nlohmann::json value) { Put(std::move(value)); }

 private:
  // Places `value` where the text has it; returns where it now lives.
  nlohmann::json* Put(nlohmann::json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    nlohmann::json& container = *open_.back();
    if (container.is_object()) {
      // The last duplicate wins.
      auto& object = container.get_ref<nlohmann::json::object_t&>();
      return &object.insert_or_assign(std::move(key_), std::move(value))
                  .first->second;
    }
    auto& array = container.get_ref<nlohmann::json::array_t&>();
    array.push_back(std::move(value));
    return &array.back();
  }

  nlohmann::json root_;
  // The containers being filled (a request's body is a few levels deep).
  absl::InlinedVector<nlohmann::json*, 8> open_;
  std::string key_;                    // the last key read
  std::string text_;                   // a key or string read in parts
};

// Notes the top level's members as Boost.JSON reads the text.
class TopLevelReader : public HandlerBase<TopLevelReader> {
 public:
  TopLevelMembers& members() { return members_; }

  bool on_object_begin(bj::error_code&) {
    if (depth_ == 0) members_.object = true;
    return Open();
  }
  bool on_object_end(std::size_t, bj::error_code&) {
    --depth_;
    return true;
  }
  bool on_array_begin(bj::error_code&) { return Open(); }
  bool on_array_end(std::size_t, bj::error_code&) {
    --depth_;
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (depth_ == 1) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    if (depth_ != 1) return true;
    key_.append(s.data(), s.size());
    id_next_ = key_ == "id";
    if (id_next_) {
      members_.has_id = true;
    } else if (key_ == "method") {
      members_.has_method = true;
    } else if (key_ == "result" || key_ == "error") {
      members_.has_result_or_error = true;
    }
    key_.clear();
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (IdAtTop()) id_text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    if (IdAtTop()) {
      id_text_.append(s.data(), s.size());
      OnScalar(nlohmann::json(std::move(id_text_)));
      id_text_.clear();
    }
    return true;
  }
  void OnScalar(nlohmann::json value) {
    if (IdAtTop()) members_.scalar_id = std::move(value);
  }

 private:
  bool IdAtTop() const { return depth_ == 1 && id_next_; }
  bool Open() {
    // An object or an array as "id": no scalar (the last "id" counts).
    if (IdAtTop()) members_.scalar_id.reset();
    ++depth_;
    return true;
  }

  TopLevelMembers members_;
  int depth_ = 0;
  bool id_next_ = false;  // the value being read is the top level's "id"
  std::string key_;
  std::string id_text_;
};

TopLevelMembers MembersOf(const nlohmann::json& value) {
  TopLevelMembers members;
  members.valid = !value.is_discarded();
  members.object = value.is_object();
  if (!members.object) return members;
  if (const auto id = value.find("id"); id != value.end()) {
    members.has_id = true;
    if (!id->is_structured()) members.scalar_id = *id;
  }
  members.has_method = value.contains("method");
  members.has_result_or_error =
      value.contains("result") || value.contains("error");
  return members;
}

}  // namespace

nlohmann::json ParseJson(std::string_view text) {
  bj::basic_parser<DomBuilder> parser(Options());
  if (Run(parser, text)) return parser.handler().TakeRoot();
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

TopLevelMembers ScanTopLevel(std::string_view text) {
  bj::basic_parser<TopLevelReader> parser(Options());
  if (Run(parser, text)) {
    TopLevelMembers members = std::move(parser.handler().members());
    members.valid = true;
    return members;
  }
  return MembersOf(
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

bool SameJson(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_discarded()) return true;  // both refused (== says false)
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !SameJson(*ia, *ib)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_number_float()) {
    // Bit for bit: 0.0 and -0.0 differ, as do two readings of one text.
    const double x = a.get<double>();
    const double y = b.get<double>();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  return a == b;
}

}  // namespace mcpgw::gateway
