#include "gateway/http/plain_request.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

using Outcome = PlainParse::Outcome;

// Requests with more fields are Beast's (the fields are kept here until the
// request is known to be whole).
constexpr std::size_t kMaxPlainFields = 48;

// RFC 9110 tchar: the characters of a method and of a field name.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}
constexpr std::array<bool, 256> kToken = MakeTokenTable();

bool IsToken(char c) { return kToken[static_cast<unsigned char>(c)]; }

bool AllTokens(const char* first, const char* last) {
  for (; first < last; ++first) {
    if (!IsToken(*first)) return false;
  }
  return true;
}

// Visible ASCII and space: what a plain field value is made of (with tabs).
bool IsPlainText(char c) { return c >= 0x20 && c < 0x7f; }

// The first byte from `p` that is neither plain text nor a tab, or `end`.
// Sixteen bytes a step where SSE2 is there (every x86-64): a session id is
// some 500 bytes.
const char* SkipFieldText(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i space_less_one = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i tab = _mm_set1_epi8('\t');
  while (end - p >= 16) {
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed comparisons: bytes from 0x80 are negative, so not plain.
    const __m128i plain =
        _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(bytes, space_less_one),
                                   _mm_cmplt_epi8(bytes, del)),
                     _mm_cmpeq_epi8(bytes, tab));
    const unsigned other = ~static_cast<unsigned>(_mm_movemask_epi8(plain)) &
                           0xffffu;
    if (other != 0) return p + __builtin_ctz(other);
    p += 16;
  }
#endif
  while (p < end && (IsPlainText(*p) || *p == '\t')) ++p;
  return p;
}

// All digits, no more than fit: what Beast reads as that same length.
bool ParseLength(std::string_view text, std::uint64_t& length) {
  if (text.empty() || text.size() > 18) return false;
  length = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

struct PlainField {
  http::field name;
  std::string_view name_text;
  std::string_view value;
};

struct PlainHead {
  http::verb method = http::verb::unknown;
  std::string_view target;
  unsigned version = 11;
  std::array<PlainField, kMaxPlainFields> fields;
  std::size_t field_count = 0;
  std::uint64_t content_length = 0;
  bool expects_continue = false;  // "Expect: 100-continue"
  std::size_t size = 0;  // bytes, the blank line included
};

// "METHOD SP target SP HTTP/1.x CRLF" at `p`; `p` is moved past it.
Outcome ParseRequestLine(const char*& p, const char* end, PlainHead& head) {
  const char* space = p;
  while (space < end && IsToken(*space)) ++space;
  if (space == end) return Outcome::kNeedMore;
  if (*space != ' ') return Outcome::kUseBeast;
  head.method = http::string_to_verb(
      std::string_view(p, static_cast<std::size_t>(space - p)));
  if (head.method == http::verb::unknown) return Outcome::kUseBeast;
  const char* target = space + 1;
  const char* target_end = target;
  while (target_end < end && *target_end > 0x20 && *target_end < 0x7f) {
    ++target_end;
  }
  if (target_end == end) return Outcome::kNeedMore;
  if (target_end == target || *target_end != ' ') return Outcome::kUseBeast;
  head.target =
      std::string_view(target, static_cast<std::size_t>(target_end - target));
  // "HTTP/1.", then 0 or 1, then CRLF: each byte that came is checked, so
  // that a wrong one goes to Beast (and its answer) at once.
  constexpr std::string_view kHttp1 = "HTTP/1.";
  constexpr std::size_t kVersionLine = kHttp1.size() + 3;
  const char* version = target_end + 1;
  const std::size_t available = std::min<std::size_t>(
      static_cast<std::size_t>(end - version), kVersionLine);
  for (std::size_t i = 0; i < available; ++i) {
    const char c = version[i];
    const bool right = i < kHttp1.size()     ? c == kHttp1[i]
                       : i == kHttp1.size() ? c == '0' || c == '1'
                       : i == kHttp1.size() + 1 ? c == '\r'
                                                : c == '\n';
    if (!right) return Outcome::kUseBeast;
  }
  if (available < kVersionLine) return Outcome::kNeedMore;
  const char minor = version[kHttp1.size()];
  head.version = minor == '1' ? 11 : 10;
  p = version + kVersionLine;
  return Outcome::kParsed;
}

// What a field means for reading the request: plain, or Beast's to read.
// The values read here are trimmed as Beast's parser trims the fields it
// acts on (a plain value holds no whitespace but spaces and tabs; Beast's
// fields trim what they store).
bool TakeSpecialField(const PlainField& field, PlainHead& head,
                      bool& has_length) {
  switch (field.name) {
    case http::field::content_length:
      if (has_length) return false;  // Beast decides about two of them
      has_length = true;
      return ParseLength(text::StripWhitespace(field.value),
                         head.content_length);
    case http::field::connection: {
      const std::string_view value = text::StripWhitespace(field.value);
      return text::EqualsIgnoreCase(value, "keep-alive") ||
             text::EqualsIgnoreCase(value, "close");
    }
    case http::field::expect:
      head.expects_continue =
          head.expects_continue || AsksToContinue(field.value);
      return true;
    case http::field::transfer_encoding:
    case http::field::upgrade:
    case http::field::proxy_connection:
      return false;
    default:
      return true;
  }
}

// A field line that has not come whole: Beast's, at once, if its name is
// already wrong.
Outcome NameSoFar(const char* p, const char* end) {
  const auto* colon = static_cast<const char*>(
      std::memchr(p, ':', static_cast<std::size_t>(end - p)));
  const char* name_end = colon != nullptr ? colon : end;
  if (colon == p || !AllTokens(p, name_end)) {
    return Outcome::kUseBeast;
  }
  return Outcome::kNeedMore;
}

// The fields from `p` up to and including the blank line.
Outcome ParseFields(const char*& p, const char* end, PlainHead& head) {
  bool has_length = false;
  for (;;) {
    if (end - p < 2) return Outcome::kNeedMore;
    if (p[0] == '\r') {
      if (p[1] != '\n') return Outcome::kUseBeast;
      p += 2;
      return Outcome::kParsed;
    }
    // The line's end first (sixteen bytes a step), then its name: the
    // token characters before the colon. A line folded onto the one before
    // starts with a space: no name there.
    const char* cr = SkipFieldText(p, end);
    if (cr == end) return NameSoFar(p, end);
    if (*cr != '\r') return Outcome::kUseBeast;
    if (cr + 1 == end) return Outcome::kNeedMore;
    if (cr[1] != '\n') return Outcome::kUseBeast;
    const auto* colon = static_cast<const char*>(
        std::memchr(p, ':', static_cast<std::size_t>(cr - p)));
    if (colon == nullptr || colon == p || !AllTokens(p, colon)) {
      return Outcome::kUseBeast;
    }
    const char* value = colon + 1;
    if (head.field_count == head.fields.size()) return Outcome::kUseBeast;
    PlainField& field = head.fields[head.field_count++];
    field.name_text = std::string_view(p, static_cast<std::size_t>(colon - p));
    field.name = http::string_to_field(field.name_text);
    field.value = std::string_view(value, static_cast<std::size_t>(cr - value));
    if (!TakeSpecialField(field, head, has_length)) return Outcome::kUseBeast;
    p = cr + 2;
  }
}

}  // namespace

bool AsksToContinue(std::string_view expect) {
  return text::EqualsIgnoreCase(text::StripWhitespace(expect), "100-continue");
}

PlainParse ParsePlainRequest(std::string_view bytes,
                             const PlainRequestLimits& limits,
                             Request& request) {
  PlainParse parse;
  if (limits.max_header_bytes < 2) return parse;
  if (bytes.empty()) {
    // The usual first look, before a request's first read.
    parse.outcome = Outcome::kNeedMore;
    return parse;
  }
  // Beast reads no more than the header limit for the head, nor more than
  // the body limit for the body, and refuses what does not fit.
  const std::size_t head_room =
      std::min(bytes.size(), limits.max_header_bytes - 1);
  const char* const begin = bytes.data();
  const char* const head_end = begin + head_room;
  const char* p = begin;
  PlainHead head;
  Outcome outcome = ParseRequestLine(p, head_end, head);
  if (outcome == Outcome::kParsed) outcome = ParseFields(p, head_end, head);
  if (outcome == Outcome::kNeedMore &&
      (head_room < bytes.size() || bytes.size() >= kMaxPlainRequestBytes)) {
    outcome = Outcome::kUseBeast;  // a head too long for the limit
  }
  if (outcome != Outcome::kParsed) {
    parse.outcome = outcome;
    return parse;
  }
  head.size = static_cast<std::size_t>(p - begin);
  // (The length has at most 18 digits: the sum cannot overflow.)
  if (head.content_length > limits.max_body_bytes ||
      head.size + head.content_length > kMaxPlainRequestBytes) {
    return parse;  // kUseBeast: too large for this parse
  }
  const std::size_t whole = head.size + head.content_length;
  if (bytes.size() < whole) {
    parse.outcome = Outcome::kNeedMore;
    // Told only while none of the body has come: a client that sends it
    // anyway is not waiting.
    parse.awaits_continue = head.expects_continue && bytes.size() == head.size;
    return parse;
  }
  request.method(head.method);
  request.target(head.target);
  request.version(head.version);
  for (std::size_t i = 0; i < head.field_count; ++i) {
    const PlainField& field = head.fields[i];
    request.insert(field.name, field.name_text, field.value);
  }
  request.body().assign(begin + head.size, head.content_length);
  parse.outcome = Outcome::kParsed;
  parse.consumed = whole;
  return parse;
}

}  // namespace mcpgw::gateway
