// The decisions that let gateway replicas share pods without a leader.

#include "runtime/kube_shared_use.h"

#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json PodWithAnnotations(json annotations, std::string created = "2026-12-05T10:00:00Z") {
  return {{"metadata",
           {{"name", "p"}, {"creationTimestamp", created}, {"annotations", annotations}}}};
}

std::string Key(std::string_view replica) {
  return std::string(kLastUsedAnnotationPrefix) + std::string(replica);
}

TEST(KubeSharedUseTest, PatchRecordsOneReplicasUse) {
  const json patch = LastUsedPatch("gw-a", 1234);
  EXPECT_EQ(patch["metadata"]["annotations"][Key("gw-a")], "1234");
  EXPECT_EQ(patch["metadata"]["annotations"].size(), 1u);
  const json forget = ForgetUsePatch("gw-a");
  EXPECT_TRUE(forget["metadata"]["annotations"][Key("gw-a")].is_null());
}

TEST(KubeSharedUseTest, OnlyOtherReplicasUsesKeepAPod) {
  const json pod = PodWithAnnotations({{Key("gw-a"), "10000"}, {Key("gw-b"), "4000"}});
  EXPECT_EQ(LastUsedByOthers(pod, "gw-a"), 4000);
  EXPECT_EQ(LastUsedByOthers(pod, "gw-b"), 10000);
  EXPECT_EQ(LastUsedByOthers(pod, "gw-c"), 10000);
  // gw-a's own recent use does not stop gw-a from deleting it ...
  EXPECT_FALSE(UsedElsewhereWithin(pod, "gw-a", 10'500, 5s));
  // ... but it stops gw-b, within the window only.
  EXPECT_TRUE(UsedElsewhereWithin(pod, "gw-b", 10'500, 5s));
  EXPECT_FALSE(UsedElsewhereWithin(pod, "gw-b", 15'001, 5s));
}

TEST(KubeSharedUseTest, UnparsableAndForeignAnnotationsAreIgnored) {
  const json pod = PodWithAnnotations({{Key("gw-a"), "soon"},
                                       {Key("gw-b"), "-5"},
                                       {"other.example/last-used", "99999"},
                                       {Key("gw-c"), 7}});
  EXPECT_FALSE(LastUsedByOthers(pod, "x").has_value());
  EXPECT_FALSE(UsedElsewhereWithin(pod, "x", 1000, 1h));
  EXPECT_FALSE(UsedElsewhereWithin(json("not a pod"), "x", 1000, 1h));
}

TEST(KubeSharedUseTest, ActivityIsTheLatestUseElseTheCreation) {
  EXPECT_EQ(LastActivity(PodWithAnnotations({{Key("gw-a"), "5"}, {Key("gw-b"), "9"}})), 9);
  const auto created = LastActivity(PodWithAnnotations(json::object()));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(*created, 1'796'464'800'000);  // 2026-12-05T10:00:00Z
  EXPECT_FALSE(LastActivity(json::object()).has_value());
}

TEST(KubeSharedUseTest, ReplicaIdsAreUniqueAnnotationNames) {
  EXPECT_EQ(ReplicaId("mcp-gateway-7d9f8b-x2k4q", "a1b2c3"),
            "mcp-gateway-7d9f8b-x2k4q-a1b2c3");
  EXPECT_EQ(ReplicaId("Laptop.local", "a1b2c3"), "gw-a1b2c3");
  EXPECT_EQ(ReplicaId("", "a1b2c3"), "gw-a1b2c3");
  const std::string long_one = ReplicaId(std::string(63, 'a'), "a1b2c3");
  EXPECT_EQ(long_one.size(), 63u);
  EXPECT_TRUE(long_one.ends_with("-a1b2c3"));
  // A cut that ends on '-' does not make "--".
  const std::string cut = ReplicaId(std::string(55, 'b') + "-cdefg", "a1b2c3");
  EXPECT_EQ(cut.find("--"), std::string::npos) << cut;
}

TEST(KubeSharedUseTest, UsesAreRecordedWellWithinTheIdleWindow) {
  EXPECT_EQ(UsePatchInterval(300s), 5s);
  EXPECT_EQ(UsePatchInterval(2s), 500ms);
  EXPECT_EQ(UsePatchInterval(100ms), 250ms);
}

}  // namespace
}  // namespace mcpgw::runtime
