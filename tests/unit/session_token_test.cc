// Sealed session ids: they open only with the secret and the target key they
// were sealed for, only until they expire, and any change to them is caught.

#include "policies/session_token.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace mcpgw::policies {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr std::string_view kSecret = "gateway-secret-0123456789abcdef";
constexpr std::string_view kKey = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const auto kNow = std::chrono::system_clock::time_point(seconds(1'800'000'000));

SessionClaims Claims() {
  return NewSession(std::string(kKey), "2025-06-18",
                    R"({"capabilities":{},"clientInfo":{"name":"t","version":"1"}})",
                    kNow, seconds(3600));
}

TEST(SessionTokenTest, OpensWithTheSameSecretAndKeyAndKeepsEverything) {
  const SessionClaims claims = Claims();
  const std::string id = SealSession(claims, kSecret);
  const auto opened = OpenSession(id, kSecret, kKey, kNow + seconds(10));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->target_key, kKey);
  EXPECT_EQ(opened->nonce, claims.nonce);
  EXPECT_EQ(opened->issued_at, 1'800'000'000);
  EXPECT_EQ(opened->expires_at, 1'800'003'600);
  EXPECT_EQ(opened->protocol_version, "2025-06-18");
  EXPECT_EQ(opened->initialize_params, claims.initialize_params);
}

TEST(SessionTokenTest, UnsealedIdHashReadsTheTailWhereTheTagIs) {
  const SessionClaims claims = Claims();
  const UnsealedIdHash hash;
  // The same claims sealed again: a new IV and tag, so a new hash.
  std::set<std::size_t> hashes;
  for (int i = 0; i < 64; ++i) hashes.insert(hash(SealSession(claims, kSecret)));
  EXPECT_EQ(hashes.size(), 64u);
  const std::string id = SealSession(claims, kSecret);
  ASSERT_GT(id.size(), 32u);
  // The head does not count; each of the tag's last 22 characters does.
  std::string head_changed = id;
  head_changed[8] = head_changed[8] == 'A' ? 'B' : 'A';
  EXPECT_EQ(hash(head_changed), hash(id));
  for (std::size_t i = id.size() - 22; i < id.size(); ++i) {
    std::string tail_changed = id;
    tail_changed[i] = tail_changed[i] == 'A' ? 'B' : 'A';
    EXPECT_NE(hash(tail_changed), hash(id)) << "character " << i;
  }
  // An id shorter than the tail is hashed whole.
  EXPECT_NE(hash("mcps1_short"), hash("mcps1_shorT"));
}

TEST(SessionTokenTest, IsVisibleAsciiAndRevealsNothing) {
  const std::string id = SealSession(Claims(), kSecret);
  for (char c : id) {
    EXPECT_TRUE(c >= 0x21 && c <= 0x7E) << "character " << int(c);
  }
  EXPECT_EQ(id.find(kKey), std::string::npos);
  EXPECT_EQ(id.find("clientInfo"), std::string::npos);
}

TEST(SessionTokenTest, EverySessionGetsADifferentId) {
  const SessionClaims claims = Claims();
  EXPECT_NE(SealSession(claims, kSecret), SealSession(claims, kSecret));
  EXPECT_NE(Claims().nonce, Claims().nonce);
}

TEST(SessionTokenTest, RefusesAnotherTargetKey) {
  const std::string id = SealSession(Claims(), kSecret);
  const auto opened = OpenSession(id, kSecret, "ffff", kNow);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(opened.status().message().find("other credentials"),
            std::string::npos);
}

TEST(SessionTokenTest, RefusesAnotherSecret) {
  const std::string id = SealSession(Claims(), kSecret);
  const auto opened = OpenSession(id, "another-secret", kKey, kNow);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
}

TEST(SessionTokenTest, ExpiresAtItsTtl) {
  const std::string id = SealSession(Claims(), kSecret);
  EXPECT_TRUE(OpenSession(id, kSecret, kKey, kNow + seconds(3599)).ok());
  const auto expired = OpenSession(id, kSecret, kKey, kNow + seconds(3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  EXPECT_FALSE(OpenSession(id, kSecret, kKey, kNow + hours(48)).ok());
}

TEST(SessionTokenTest, CatchesEveryAlteredByte) {
  const std::string id = SealSession(Claims(), kSecret);
  std::string box;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(id.substr(6), &box));
  for (std::size_t i = 0; i < box.size(); ++i) {
    std::string altered = box;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    const std::string forged = "mcps1_" + absl::WebSafeBase64Escape(altered);
    EXPECT_FALSE(OpenSession(forged, kSecret, kKey, kNow).ok()) << "byte " << i;
  }
}

TEST(SessionTokenTest, RefusesWhatIsNotASessionId) {
  const std::string id = SealSession(Claims(), kSecret);
  for (const std::string& bad :
       {std::string(), std::string("mcps1_"), std::string("abc"),
        std::string("mcps1_!!!"), std::string("mcps2_") + id.substr(6),
        id.substr(0, id.size() / 2), id + "A",
        std::string(kMaxSessionIdLength + 1, 'A')}) {
    const auto opened = OpenSession(bad, kSecret, kKey, kNow);
    ASSERT_FALSE(opened.ok()) << bad;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  }
}

// One session, one id: other spellings of the same bytes (whitespace,
// padding, different unused low bits in the last character) are refused.
TEST(SessionTokenTest, RefusesOtherSpellingsOfTheSameBytes) {
  const std::string id = SealSession(Claims(), kSecret);
  ASSERT_TRUE(OpenSession(id, kSecret, kKey, kNow).ok());
  std::vector<std::string> spellings = {
      id.substr(0, 20) + " " + id.substr(20), id.substr(0, 20) + "\n" + id.substr(20),
      id + "=", id + "==", id + " "};
  // The last character with its unused low bits changed (if it has any).
  const std::size_t tail_bits = ((id.size() - 6) * 6) % 8;
  if (tail_bits != 0) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto at = kAlphabet.find(id.back());
    std::string other = id;
    other.back() = kAlphabet[at ^ 1];
    spellings.push_back(other);
  }
  for (const std::string& spelling : spellings) {
    EXPECT_FALSE(OpenSession(spelling, kSecret, kKey, kNow).ok()) << spelling;
  }
}

}  // namespace
}  // namespace mcpgw::policies
