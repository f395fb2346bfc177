#include "gateway/mcp/message_summary.h"

#include <cstdint>

#include "gateway/mcp/json_handler.h"
#include "gateway/mcp/jsonrpc_body.h"

namespace mcpgw::gateway {
namespace {

namespace bj = boost::json;
using json_handler::HandlerBase;

// Reads the members of the top-level object and of its "params" that
// MessageFieldProblem and the request path read; stops the parse (no
// summary) at the first thing it leaves to the value.
class MessageReader : public HandlerBase<MessageReader> {
 public:
  std::optional<MessageSummary> Take() {
    if (!jsonrpc_ || !has_method_ || summary_.method == "initialize") {
      return std::nullopt;
    }
    // The params member the body check wants a string for this method; one
    // the reader does not note is left to the value.
    const std::string_view checked = StringParamOf(summary_.method);
    const Type type = checked.empty()       ? Type::kNone
                      : checked == "name"   ? name_
                      : checked == "cursor" ? cursor_
                                            : Type::kOther;
    if (type == Type::kOther) return std::nullopt;
    return std::move(summary_);
  }

  bool on_object_begin(bj::error_code& ec) {
    if (depth_ == 0) {
      depth_ = 1;  // the message
      return true;
    }
    if (TopValue() && top_ == Top::kParams) {
      in_params_ = true;  // the last "params" counts
      name_ = cursor_ = Type::kNone;
      summary_.name.reset();
    } else if (!NotString(ec)) {
      return false;
    }
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, bj::error_code&) { return Close(); }
  bool on_array_begin(bj::error_code& ec) {
    if (depth_ == 0 || (TopValue() && top_ == Top::kParams)) return Stop(ec);
    if (!NotString(ec)) return false;
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, bj::error_code&) { return Close(); }

  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (KeyKept()) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    if (!KeyKept()) return true;
    const std::string_view key = Joined(key_, s);
    if (depth_ == 1) {
      top_ = key == "jsonrpc" ? Top::kJsonRpc
             : key == "id"    ? Top::kId
             : key == "method" ? Top::kMethod
             : key == "params" ? Top::kParams
                               : Top::kOther;
    } else {
      param_ = key == "_meta"   ? Param::kMeta
               : key == "name"  ? Param::kName
               : key == "cursor" ? Param::kCursor
                                 : Param::kOther;
    }
    key_.clear();
    return true;
  }

  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (Kept()) text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) {
    if (depth_ == 0) return Stop(ec);
    if (!Kept()) return true;
    const std::string_view value = Joined(text_, s);
    if (TopValue()) {
      switch (top_) {
        case Top::kJsonRpc:
          if (value != "2.0") return Stop(ec);
          jsonrpc_ = true;
          break;
        case Top::kId:
          summary_.id = nlohmann::json(std::string(value));
          break;
        case Top::kMethod:
          summary_.method.assign(value);
          has_method_ = true;
          break;
        default:  // params
          return Stop(ec);
      }
    } else if (param_ == Param::kMeta) {
      return Stop(ec);
    } else if (param_ == Param::kName) {
      name_ = Type::kString;
      summary_.name.emplace(value);
    } else {
      cursor_ = Type::kString;
    }
    text_.clear();
    return true;
  }

  bool OnScalar(nlohmann::json value, bj::error_code& ec) {
    if (depth_ == 0) return Stop(ec);
    if (TopValue() && top_ == Top::kId && value.is_number_integer()) {
      summary_.id = std::move(value);
      return true;
    }
    return NotString(ec);
  }

 private:
  enum class Top { kJsonRpc, kId, kMethod, kParams, kOther };
  enum class Param { kMeta, kName, kCursor, kOther };
  enum class Type { kNone, kString, kOther };

  // The value being read is a member of the message, or of its params.
  bool TopValue() const { return depth_ == 1; }
  bool ParamValue() const { return depth_ == 2 && in_params_; }
  // The key being read names a member of the message or of its params.
  bool KeyKept() const { return depth_ == 1 || ParamValue(); }
  // The string being read is one the summary keeps or checks.
  bool Kept() const {
    return (TopValue() && top_ != Top::kOther) ||
           (ParamValue() && param_ != Param::kOther);
  }

  // A value that is not a string (nor, for "id", an integer) where the
  // value is read: the members that must be strings stop the parse;
  // params.name and params.cursor are noted, their method decides.
  bool NotString(bj::error_code& ec) {
    if (TopValue()) return top_ == Top::kOther || Stop(ec);
    if (!ParamValue()) return true;
    switch (param_) {
      case Param::kMeta:
        return Stop(ec);
      case Param::kName:
        name_ = Type::kOther;
        summary_.name.reset();
        return true;
      case Param::kCursor:
        cursor_ = Type::kOther;
        return true;
      case Param::kOther:
        return true;
    }
    return true;
  }

  bool Close() {
    --depth_;
    if (depth_ == 1) in_params_ = false;
    return true;
  }

  // `parts` (what came in parts before) and `last` as one text.
  static std::string_view Joined(std::string& parts, bj::string_view last) {
    if (parts.empty()) return std::string_view(last.data(), last.size());
    parts.append(last.data(), last.size());
    return parts;
  }

  MessageSummary summary_;
  int depth_ = 0;
  bool in_params_ = false;  // the open depth-2 container is "params"
  bool jsonrpc_ = false;
  bool has_method_ = false;
  Top top_ = Top::kOther;
  Param param_ = Param::kOther;
  Type name_ = Type::kNone;
  Type cursor_ = Type::kNone;
  std::string key_;   // a key read in parts
  std::string text_;  // a kept string read in parts
};

}  // namespace

std::optional<MessageSummary> SummarizeMessage(std::string_view body) {
  bj::basic_parser<MessageReader> parser(json_handler::Options());
  if (!json_handler::Run(parser, body)) return std::nullopt;
  return parser.handler().Take();
}

}  // namespace mcpgw::gateway
