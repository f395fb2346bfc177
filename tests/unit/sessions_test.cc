#include "gateway/mcp/sessions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/manual_clock.h"

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

TEST(SessionManager, IssuedSessionOpensForItsTargetOnly) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  auto claims = sessions.NewClaims("key-a", "2025-06-18", R"({"capabilities":{}})");
  claims.backend_sessions = true;
  const auto id = sessions.Issue(claims);
  auto opened = sessions.Open(id, "key-a");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->nonce, claims.nonce);
  EXPECT_EQ(opened->protocol_version, "2025-06-18");
  EXPECT_TRUE(opened->backend_sessions);
  EXPECT_TRUE(absl::IsNotFound(sessions.Open(id, "key-b").status()));
  // Another gateway process with the same secret accepts it too.
  SessionManager other(std::string(kSecret), std::chrono::hours(1), clock);
  EXPECT_TRUE(other.Open(id, "key-a").ok());
  EXPECT_EQ(sessions.stats().issued, 1u);
  EXPECT_EQ(sessions.stats().rejected, 1u);
}

TEST(SessionManager, EndedSessionIsRefused) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  const auto claims = sessions.NewClaims("key", "2025-06-18", "{}");
  const auto id = sessions.Issue(claims);
  sessions.End(claims);
  const auto opened = sessions.Open(id, "key");
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(absl::IsNotFound(opened.status()));
  EXPECT_NE(opened.status().message().find("ended"), std::string::npos);
  EXPECT_EQ(sessions.stats().ended, 1u);
}

TEST(SessionManager, BackendSessionsArePerInstanceAndForgottenWithIt) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  sessions.SetBackendSession("n1", "i-1", "backend-a");
  sessions.SetBackendSession("n1", "i-2", "backend-b");
  EXPECT_EQ(sessions.BackendSession("n1", "i-1"), "backend-a");
  EXPECT_EQ(sessions.BackendSession("n2", "i-1"), std::nullopt);
  sessions.ForgetInstance("i-1");
  EXPECT_EQ(sessions.BackendSession("n1", "i-1"), std::nullopt);
  EXPECT_EQ(sessions.BackendSession("n1", "i-2"), "backend-b");
  EXPECT_EQ(sessions.TakeBackendSession("n1", "i-2"), "backend-b");
  EXPECT_EQ(sessions.stats().backend_sessions, 0u);
}

// The cache of opened ids (sessions.h) spares decryption only: every check
// still applies on a hit.
TEST(SessionManager, CachedIdOpensAgainWithTheSameClaims) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  const auto claims = sessions.NewClaims("key", "2025-06-18", R"({"a":1})");
  const auto id = sessions.Issue(claims);
  const auto first = sessions.Open(id, "key");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(sessions.stats().cached_ids, 1u);
  const auto second = sessions.Open(id, "key");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(sessions.stats().cached_ids, 1u);
  EXPECT_EQ(second->nonce, claims.nonce);
  EXPECT_EQ(second->initialize_params, R"({"a":1})");
  EXPECT_EQ(second->expires_at, claims.expires_at);
}

TEST(SessionManager, CachedIdIsStillRefusedForAnotherTarget) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  const auto id = sessions.Issue(sessions.NewClaims("key-a", "2025-06-18", "{}"));
  ASSERT_TRUE(sessions.Open(id, "key-a").ok());
  const auto other = sessions.Open(id, "key-b");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("other credentials"),
            std::string::npos);
  EXPECT_TRUE(sessions.Open(id, "key-a").ok());
}

TEST(SessionManager, CachedIdIsStillRefusedWhenExpired) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  auto claims = sessions.NewClaims("key", "2025-06-18", "{}");
  claims.expires_at = claims.issued_at - 1;
  const auto id = sessions.Issue(claims);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto opened = sessions.Open(id, "key");
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.status().message().find("expired"), std::string::npos);
  }
  // The second refusal came from the cache: the id was decrypted once.
  EXPECT_EQ(sessions.stats().cached_ids, 1u);
  EXPECT_EQ(sessions.stats().rejected, 2u);
}

TEST(SessionManager, CachedIdIsRefusedOnceEnded) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  const auto claims = sessions.NewClaims("key", "2025-06-18", "{}");
  const auto id = sessions.Issue(claims);
  ASSERT_TRUE(sessions.Open(id, "key").ok());
  sessions.End(claims);
  EXPECT_EQ(sessions.stats().cached_ids, 0u);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto opened = sessions.Open(id, "key");
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.status().message().find("ended"), std::string::npos);
  }
}

TEST(SessionManager, CacheIsBoundedAndEvictedIdsStillOpen) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock,
                          /*cache_entries=*/2);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(sessions.Issue(sessions.NewClaims("key", "2025-06-18", "{}")));
    ASSERT_TRUE(sessions.Open(ids.back(), "key").ok());
  }
  EXPECT_EQ(sessions.stats().cached_ids, 2u);
  for (const auto& id : ids) EXPECT_TRUE(sessions.Open(id, "key").ok());
  EXPECT_EQ(sessions.stats().cached_ids, 2u);
}

TEST(SessionManager, ForgedIdIsNeitherOpenedNorCached) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1), clock);
  auto id = sessions.Issue(sessions.NewClaims("key", "2025-06-18", "{}"));
  ASSERT_TRUE(sessions.Open(id, "key").ok());
  id.back() = id.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sessions.Open(id, "key").ok());
  EXPECT_EQ(sessions.stats().cached_ids, 1u);
}

// Time is the injected clock's: a session opens until its expiry second and
// not from it on; no test waits for it.
TEST(SessionManager, SessionExpiresAtItsTtlOnTheClock) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::seconds(60), clock);
  const auto id = sessions.Issue(sessions.NewClaims("key", "2025-06-18", "{}"));
  clock.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(sessions.Open(id, "key").ok());
  clock.Advance(std::chrono::seconds(1));
  const auto opened = sessions.Open(id, "key");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("expired"), std::string::npos);
}

// An ended session is remembered until it would have expired anyway, then
// forgotten (refused as expired from then on).
TEST(SessionManager, EndedSessionIsRememberedUntilItsExpiry) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::seconds(60), clock);
  const auto claims = sessions.NewClaims("key", "2025-06-18", "{}");
  const auto id = sessions.Issue(claims);
  sessions.End(claims);
  clock.Advance(std::chrono::seconds(59));
  EXPECT_EQ(sessions.stats().ended_remembered, 1u);
  auto opened = sessions.Open(id, "key");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("ended"), std::string::npos);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(sessions.stats().ended_remembered, 0u);
  opened = sessions.Open(id, "key");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("expired"), std::string::npos);
}

// A session ended elsewhere that has expired by now is not kept.
TEST(SessionManager, SessionEndedElsewhereAfterItsExpiryIsNotKept) {
  common::ManualClock clock;
  SessionManager sessions(std::string(kSecret), std::chrono::seconds(60), clock);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       clock.WallNow().time_since_epoch())
                       .count();
  sessions.MarkEnded("expired-nonce", now);
  sessions.MarkEnded("live-nonce", now + 1);
  EXPECT_EQ(sessions.stats().ended_remembered, 1u);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(sessions.stats().ended_remembered, 0u);
}

}  // namespace
}  // namespace mcpgw::gateway
