// libFuzzer target: session-token verification (policies/session_token).
// A client controls the Mcp-Session-Id header completely; OpenSession must
// refuse every forgery without crashing. Two halves:
//  - the raw input as a session id: never accepted (the odds of forging an
//    AES-GCM tag are nil, so acceptance means a verification bug);
//  - a genuine token with the input spliced in (bit flips, truncation,
//    appended bytes): accepted only when it is byte-for-byte the original.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policies/session_token.h"

namespace {

using Clock = std::chrono::system_clock;
constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123456789abcdef";
constexpr std::string_view kKey = "target-key-for-fuzzing";

const std::string& GenuineToken() {
  static const std::string token = [] {
    const auto claims = mcpgw::policies::NewSession(
        std::string(kKey), "2025-06-18", R"({"clientInfo":{"name":"fuzz"}})",
        Clock::from_time_t(1700000000), std::chrono::hours(1));
    return mcpgw::policies::SealSession(claims, kSecret);
  }();
  return token;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using mcpgw::policies::OpenSession;
  const auto now = Clock::from_time_t(1700000100);
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (input != GenuineToken() && OpenSession(input, kSecret, kKey, now).ok()) std::abort();

  if (size < 2) return 0;
  // Mutate the genuine token: the first two bytes pick a position and a mode.
  std::string token = GenuineToken();
  const std::size_t pos = (static_cast<std::size_t>(data[0]) << 8 | data[1]) % (token.size() + 1);
  const std::string_view rest = input.substr(2);
  switch (rest.empty() ? 0 : rest[0] % 3) {
    case 0: token.resize(pos); break;                              // truncate
    case 1: token.insert(pos, rest.substr(1)); break;              // insert
    default:                                                       // overwrite
      for (std::size_t i = 1; i < rest.size() && pos + i - 1 < token.size(); ++i) {
        token[pos + i - 1] = rest[i];
      }
  }
  const bool accepted = OpenSession(token, kSecret, kKey, now).ok();
  if (accepted && token != GenuineToken()) std::abort();
  // Bound to its key: never valid for another target.
  if (OpenSession(token, kSecret, "another-target", now).ok()) std::abort();
  return 0;
}
