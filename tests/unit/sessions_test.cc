#include "gateway/sessions.h"

#include <gtest/gtest.h>

namespace mcpgw::gateway {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

TEST(SessionManager, IssuedSessionOpensForItsTargetOnly) {
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1));
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
  SessionManager other(std::string(kSecret), std::chrono::hours(1));
  EXPECT_TRUE(other.Open(id, "key-a").ok());
  EXPECT_EQ(sessions.stats().issued, 1u);
  EXPECT_EQ(sessions.stats().rejected, 1u);
}

TEST(SessionManager, EndedSessionIsRefused) {
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1));
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
  SessionManager sessions(std::string(kSecret), std::chrono::hours(1));
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

}  // namespace
}  // namespace mcpgw::gateway
