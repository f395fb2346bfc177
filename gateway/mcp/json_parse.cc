#include "gateway/mcp/json_parse.h"

#include <cstring>
#include <string>

// Boost.JSON's compiled part (error categories, number tables), built here
// once: Debian ships its headers, not the library.
#include <boost/json/src.hpp>

#include "absl/container/inlined_vector.h"
#include "gateway/mcp/json_handler.h"

namespace mcpgw::gateway {
namespace {

namespace bj = boost::json;

using json_handler::HandlerBase;
using json_handler::Options;
using json_handler::Run;

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
  bool OnScalar(nlohmann::json value, bj::error_code&) {
    Put(std::move(value));
    return true;
  }

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
      members_.scalar_id = nlohmann::json(std::move(id_text_));
      id_text_.clear();
    }
    return true;
  }
  bool OnScalar(nlohmann::json value, bj::error_code&) {
    if (IdAtTop()) members_.scalar_id = std::move(value);
    return true;
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
