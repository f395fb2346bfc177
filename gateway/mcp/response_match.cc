#include "gateway/mcp/response_match.h"

#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {
namespace {

// Follows the parse, noting the top-level members that matter. A value
// seen at depth 1 belongs to the last key read there; nlohmann's own parse
// keeps the last of duplicate keys, and so does this.
class TopLevelMembers final
    : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit TopLevelMembers(const nlohmann::json& id) : awaited_(id) {}

  bool Answers() const {
    return object_ && has_id_ && id_equal_ && !has_method_ && has_result_;
  }

  bool null() override { return Scalar(nlohmann::json(nullptr)); }
  bool boolean(bool value) override { return Scalar(nlohmann::json(value)); }
  bool number_integer(number_integer_t value) override {
    return Scalar(nlohmann::json(value));
  }
  bool number_unsigned(number_unsigned_t value) override {
    return Scalar(nlohmann::json(value));
  }
  bool number_float(number_float_t value, const string_t&) override {
    return Scalar(nlohmann::json(value));
  }
  bool string(string_t& value) override {
    if (IdAtTop()) {
      id_equal_ = awaited_.is_string() &&
                  awaited_.get_ref<const std::string&>() == value;
    }
    return true;
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (depth_ == 0) object_ = true;
    return Open();
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t& name) override {
    if (depth_ != 1) return true;
    key_ = Key::kOther;
    if (name == "id") {
      key_ = Key::kId;
      has_id_ = true;
    } else if (name == "method") {
      has_method_ = true;
    } else if (name == "result" || name == "error") {
      has_result_ = true;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Key { kOther, kId };

  bool IdAtTop() const { return depth_ == 1 && key_ == Key::kId; }
  bool Scalar(const nlohmann::json& value) {
    if (IdAtTop()) id_equal_ = value == awaited_;
    return true;
  }
  bool Open() {
    // An id that is an object or an array is no id a client can await.
    if (IdAtTop()) id_equal_ = false;
    ++depth_;
    return true;
  }

  const nlohmann::json& awaited_;
  int depth_ = 0;
  Key key_ = Key::kOther;
  bool object_ = false;
  bool has_id_ = false;
  bool id_equal_ = false;
  bool has_method_ = false;
  bool has_result_ = false;
};

}  // namespace

bool IsResponseTo(std::string_view message, const nlohmann::json& id) {
  if (id.is_structured()) {
    // Never a client's id (MessageFieldProblem refuses it); judged the
    // long way should one come.
    const auto parsed = nlohmann::json::parse(message, nullptr, false);
    return IsJsonRpcResponse(parsed) && parsed["id"] == id;
  }
  TopLevelMembers members(id);
  const bool parsed = nlohmann::json::sax_parse(
      message.begin(), message.end(), &members,
      nlohmann::json::input_format_t::json, /*strict=*/true);
  return parsed && members.Answers();
}

}  // namespace mcpgw::gateway
