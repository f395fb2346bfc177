// The container create body, labels and logs stream decoding: what reaches
// the engine, and that secrets stay in the environment.

#include "runtime/container_spec.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mcpgw::runtime {
namespace {

constexpr const char* kDsn = "postgres://alice:S3cret@db:5432/shop";
constexpr const char* kToken = "0123456789abcdef";

ContainerSpec Spec() {
  ContainerSpec spec;
  spec.image = "mcp-gateway/dbhub:test";
  spec.user = "10001:10001";
  spec.dsn = kDsn;
  spec.bearer_token = kToken;
  spec.port = 41234;
  spec.listen_host = "127.0.0.1";
  spec.limits.memory_bytes = 256LL * 1024 * 1024;
  spec.limits.nano_cpus = 500'000'000;
  spec.limits.pids_limit = 64;
  spec.limits.tmpfs_size = "16m";
  spec.labels = BuildLabels("gw1", "i-abc-1", "0123456789ab",
                            "2026-01-01T00:00:00Z");
  return spec;
}

nlohmann::json Body(const ContainerSpec& spec) {
  return nlohmann::json::parse(BuildCreateBody(spec));
}

TEST(ContainerSpecTest, SecretsAreOnlyInTheEnvironment) {
  auto body = Body(Spec());
  const auto env = body["Env"].dump();
  EXPECT_NE(env.find(std::string("DSN=") + kDsn), std::string::npos) << env;
  EXPECT_NE(env.find(std::string("DBHUB_AUTH_TOKEN=") + kToken),
            std::string::npos);
  body.erase("Env");
  const auto rest = body.dump();
  EXPECT_EQ(rest.find("S3cret"), std::string::npos) << rest;
  EXPECT_EQ(rest.find(kToken), std::string::npos) << rest;
}

TEST(ContainerSpecTest, DbhubServesHttpOnThePickedPortAndHost) {
  const auto body = Body(Spec());
  EXPECT_EQ(body["Image"], "mcp-gateway/dbhub:test");
  EXPECT_EQ(body["Cmd"],
            nlohmann::json::array({"--transport", "http", "--port", "41234"}));
  const auto env = body["Env"].dump();
  for (const char* entry :
       {"TRANSPORT=http", "PORT=41234", "DBHUB_HOST=127.0.0.1", "HOME=/tmp"}) {
    EXPECT_NE(env.find(entry), std::string::npos) << entry << " in " << env;
  }
  EXPECT_EQ(body["Tty"], false);
}

TEST(ContainerSpecTest, IsolationAndLimits) {
  const auto body = Body(Spec());
  EXPECT_EQ(body["User"], "10001:10001");
  const auto& host = body["HostConfig"];
  EXPECT_EQ(host["NetworkMode"], "host");
  EXPECT_EQ(host["ReadonlyRootfs"], true);
  EXPECT_EQ(host["CapDrop"], nlohmann::json::array({"ALL"}));
  EXPECT_EQ(host["SecurityOpt"], nlohmann::json::array({"no-new-privileges"}));
  EXPECT_EQ(host["Init"], true);
  EXPECT_EQ(host["Memory"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["MemorySwap"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["NanoCpus"], 500'000'000);
  EXPECT_EQ(host["PidsLimit"], 64);
  EXPECT_EQ(host["Tmpfs"]["/tmp"], "rw,nosuid,nodev,noexec,size=16m");
  EXPECT_FALSE(host.contains("Binds"));
  EXPECT_FALSE(host.contains("Privileged") && host["Privileged"] == true);
}

TEST(ContainerSpecTest, NamedNetworkAndBinds) {
  auto spec = Spec();
  spec.network = "dbhub-net";
  spec.listen_host = "0.0.0.0";
  spec.binds = {"/data:/data:ro"};
  const auto body = Body(spec);
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "dbhub-net");
  EXPECT_EQ(body["HostConfig"]["Binds"], nlohmann::json::array({"/data:/data:ro"}));
  EXPECT_TRUE(body["ExposedPorts"].contains("41234/tcp"));
  EXPECT_NE(body["Env"].dump().find("DBHUB_HOST=0.0.0.0"), std::string::npos);
}

// A tenant's instance: no DSN of its own, its sources' DSNs in the
// environment, the config directory mounted read-only and named by --config.
TEST(ContainerSpecTest, ConfigIsMountedReadOnlyAndItsSecretsAreOnlyInTheEnvironment) {
  auto spec = Spec();
  spec.dsn.clear();
  spec.binds = {"/srv/sqlite:/srv/sqlite:ro"};
  spec.secret_env = {"MCPGW_SOURCE_0_DSN=postgres://bob:T0pSecret@db/sales",
                     "MCPGW_SOURCE_1_DSN=sqlite:///srv/sqlite/notes.db"};
  spec.config_dir = "/var/lib/mcp-gateway/containers/i-abc-1";
  auto body = Body(spec);

  EXPECT_EQ(body["HostConfig"]["Binds"],
            nlohmann::json::array(
                {"/srv/sqlite:/srv/sqlite:ro",
                 "/var/lib/mcp-gateway/containers/i-abc-1:/mcp-gateway:ro"}));
  EXPECT_EQ(body["Cmd"],
            nlohmann::json::array({"--transport", "http", "--port", "41234",
                                   "--config=/mcp-gateway/dbhub.toml"}));
  // Still read-only everywhere but /tmp.
  EXPECT_EQ(body["HostConfig"]["ReadonlyRootfs"], true);
  EXPECT_EQ(body["User"], "10001:10001");

  const auto& env = body["Env"];
  for (const auto& entry : spec.secret_env) {
    EXPECT_NE(std::find(env.begin(), env.end(), entry), env.end())
        << entry << " in " << env.dump();
  }
  EXPECT_NE(std::find(env.begin(), env.end(),
                      std::string("DBHUB_AUTH_TOKEN=") + kToken),
            env.end());
  for (const auto& entry : env) {
    EXPECT_NE(entry.get<std::string>().rfind("DSN=", 0), 0u)
        << "an empty DSN beside the config: " << env.dump();
  }

  const auto& labels = body["Labels"];
  EXPECT_EQ(labels[container_label::kDbhubConfig], "1");
  EXPECT_EQ(labels[container_label::kGatewayId], "gw1");

  body.erase("Env");
  const auto rest = body.dump();
  for (const char* secret : {"T0pSecret", "bob:", "notes.db", "S3cret", kToken}) {
    EXPECT_EQ(rest.find(secret), std::string::npos) << secret << " in " << rest;
  }
}

TEST(ContainerSpecTest, NoConfigNoMountNoLabel) {
  const auto body = Body(Spec());
  EXPECT_FALSE(body["HostConfig"].contains("Binds"));
  EXPECT_EQ(body["Cmd"].dump().find("--config"), std::string::npos);
  EXPECT_FALSE(body["Labels"].contains(container_label::kDbhubConfig));
}

TEST(ContainerSpecTest, LabelsNameTheGatewayInstanceKeyPrefixAndTime) {
  const auto body = Body(Spec());
  const auto& labels = body["Labels"];
  EXPECT_EQ(labels[container_label::kGatewayId], "gw1");
  EXPECT_EQ(labels[container_label::kInstanceId], "i-abc-1");
  EXPECT_EQ(labels[container_label::kKeyPrefix], "0123456789ab");
  EXPECT_EQ(labels[container_label::kCreatedAt], "2026-01-01T00:00:00Z");
  EXPECT_EQ(labels.size(), 4u);
}

TEST(ContainerSpecTest, GatewayLabelFilterSelectsOneGateway) {
  const auto filter = nlohmann::json::parse(GatewayLabelFilter("gw1"));
  EXPECT_EQ(filter["label"], nlohmann::json::array({"mcp-gateway.gateway-id=gw1"}));
  EXPECT_EQ(QueryEscape(R"({"a":["b=c"]})"), "%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D");
}

std::string Frame(char stream, const std::string& payload) {
  std::string frame = {stream, 0, 0, 0};
  const auto n = static_cast<std::uint32_t>(payload.size());
  frame += static_cast<char>((n >> 24) & 0xff);
  frame += static_cast<char>((n >> 16) & 0xff);
  frame += static_cast<char>((n >> 8) & 0xff);
  frame += static_cast<char>(n & 0xff);
  return frame + payload;
}

TEST(LogStreamTest, DemuxJoinsStdoutAndStderrFrames) {
  const std::string raw = Frame(1, "starting\n") + Frame(2, "Fatal error: x\n") +
                          Frame(1, std::string(300, 'a'));
  EXPECT_EQ(DemuxLogStream(raw),
            "starting\nFatal error: x\n" + std::string(300, 'a'));
}

TEST(LogStreamTest, TtyOutputIsReturnedAsIs) {
  EXPECT_EQ(DemuxLogStream("plain text\nlines\n"), "plain text\nlines\n");
  EXPECT_EQ(DemuxLogStream(""), "");
}

TEST(LogStreamTest, TruncatedLastFrameKeepsWhatArrived) {
  std::string raw = Frame(1, "complete\n") + Frame(2, "cut off here");
  raw.resize(raw.size() - 5);
  EXPECT_EQ(DemuxLogStream(raw), "complete\ncut off");
  // A header cut in the middle ends the stream.
  EXPECT_EQ(DemuxLogStream(Frame(1, "a") + std::string("\x02\0\0", 3)), "a");
}

TEST(ContainerSpecTest, ByteSizesAndCpus) {
  EXPECT_EQ(*ParseByteSize("512m"), 512LL * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("1G"), 1024LL * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("64k"), 64 * 1024);
  EXPECT_EQ(*ParseByteSize("1048576"), 1048576);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("m").ok());
  EXPECT_FALSE(ParseByteSize("-5m").ok());
  EXPECT_FALSE(ParseByteSize("0").ok());
  EXPECT_FALSE(ParseByteSize("1.5g").ok());
  EXPECT_EQ(*ParseCpus("1"), 1'000'000'000);
  EXPECT_EQ(*ParseCpus("0.5"), 500'000'000);
  EXPECT_FALSE(ParseCpus("0").ok());
  EXPECT_FALSE(ParseCpus("two").ok());
  EXPECT_FALSE(ParseCpus("").ok());
}

}  // namespace
}  // namespace mcpgw::runtime
