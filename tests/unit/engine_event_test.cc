// Decoding the engine's event stream (Docker and Podman spell it alike).

#include <gtest/gtest.h>

#include "runtime/docker_engine.h"

namespace mcpgw::runtime {
namespace {

TEST(EngineEventTest, DieEventCarriesIdAndExitCode) {
  // As Podman 4.3 sends it (Docker's has the same fields).
  const auto event = ParseEngineEvent(
      R"({"status":"die","id":"c75a5178","from":"img","Type":"container",)"
      R"("Action":"die","Actor":{"ID":"c75a5178","Attributes":{)"
      R"("containerExitCode":"137","exitCode":"137","image":"img"}},)"
      R"("scope":"local","time":1795482574})");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "container");
  EXPECT_EQ(event->action, "die");
  EXPECT_EQ(event->id, "c75a5178");
  EXPECT_EQ(event->exit_code, 137);
}

TEST(EngineEventTest, OtherEventsHaveNoExitCode) {
  const auto event = ParseEngineEvent(
      R"({"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{}}})");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->action, "start");
  EXPECT_FALSE(event->exit_code.has_value());
}

TEST(EngineEventTest, OldStyleFieldsAreEnough) {
  const auto event =
      ParseEngineEvent(R"({"status":"die","id":"abc","Type":"container"})");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->action, "die");
  EXPECT_EQ(event->id, "abc");
}

TEST(EngineEventTest, GarbageIsNotAnEvent) {
  EXPECT_FALSE(ParseEngineEvent("").has_value());
  EXPECT_FALSE(ParseEngineEvent("not json").has_value());
  EXPECT_FALSE(ParseEngineEvent("[1,2]").has_value());
  EXPECT_FALSE(ParseEngineEvent(R"({"Type":"container"})").has_value());
  const auto odd = ParseEngineEvent(
      R"({"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"exitCode":"-1x"}}})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_FALSE(odd->exit_code.has_value());
}

}  // namespace
}  // namespace mcpgw::runtime
