#include "common/redaction.h"

#include <gtest/gtest.h>

namespace mcpgw::common {
namespace {

TEST(RedactUrlCredentials, HidesPasswordsInFreeText) {
  EXPECT_EQ(RedactUrlCredentials("connect postgres://alice:s3cret@db:5432/x failed"),
            "connect postgres://alice:***@db:5432/x failed");
  EXPECT_EQ(RedactUrlCredentials("a mysql://u:p@h/d and sqlserver://v:q@k/e"),
            "a mysql://u:***@h/d and sqlserver://v:***@k/e");
}

TEST(RedactUrlCredentials, HidesTheTailOfAPasswordWithAnUnencodedAt) {
  EXPECT_EQ(RedactUrlCredentials("postgres://u:p@ss@host/db"),
            "postgres://u:***@host/db");
}

TEST(RedactUrlCredentials, LeavesTextWithoutCredentialsAlone) {
  const std::string text = "http://127.0.0.1:8080/mcp and sqlite:///tmp/x.db :// odd";
  EXPECT_EQ(RedactUrlCredentials(text), text);
  EXPECT_EQ(RedactUrlCredentials("postgres://user@host/db"), "postgres://user@host/db");
}

TEST(MayHoldUrlCredentials, IsFalseOnlyWhereRedactionChangesNothing) {
  EXPECT_TRUE(MayHoldUrlCredentials("connect postgres://alice:s3cret@db/x"));
  EXPECT_TRUE(MayHoldUrlCredentials("odd :// text"));
  for (const std::string text :
       {"access bytes_in=109 method=tools/call status=200", "user:pw@host",
        "", "sqlite:/tmp/x.db"}) {
    EXPECT_FALSE(MayHoldUrlCredentials(text)) << text;
    EXPECT_EQ(RedactUrlCredentials(text), text);
  }
}

TEST(Redactor, ScrubsKnownSecretsAnywhere) {
  Redactor redactor({"hunter2", "p%40ss"});
  EXPECT_EQ(redactor.Apply("password authentication failed: hunter2 / p%40ss"),
            "password authentication failed: *** / ***");
  EXPECT_EQ(redactor.Apply("nothing here"), "nothing here");
}

TEST(Redactor, IgnoresEmptySecrets) {
  Redactor redactor({""});
  EXPECT_EQ(redactor.Apply("abc"), "abc");
}

}  // namespace
}  // namespace mcpgw::common
