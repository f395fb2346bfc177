// DOCKER_HOST parsing and Docker's TLS environment convention.

#include "runtime/docker_host.h"

#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

TEST(DockerHostTest, UnixSocketTalksHttpOverThePath) {
  auto address = ParseDockerHost("unix:///var/run/docker.sock", std::nullopt);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->unix_socket, "/var/run/docker.sock");
  EXPECT_EQ(address->base_url, "http://localhost");
  EXPECT_TRUE(address->local);
  EXPECT_FALSE(address->tls.has_value());
  EXPECT_EQ(address->display, "unix:///var/run/docker.sock");
}

TEST(DockerHostTest, BarePathIsAUnixSocket) {
  auto address = ParseDockerHost("/run/podman/podman.sock", std::nullopt);
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->unix_socket, "/run/podman/podman.sock");
}

TEST(DockerHostTest, UnixSocketNeedsAnAbsolutePath) {
  EXPECT_FALSE(ParseDockerHost("unix://", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("unix://relative.sock", std::nullopt).ok());
}

TEST(DockerHostTest, TcpWithoutTlsIsPlainHttpOnTheDefaultPort) {
  auto address = ParseDockerHost("tcp://10.0.0.5", std::nullopt);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->base_url, "http://10.0.0.5:2375");
  EXPECT_TRUE(address->unix_socket.empty());
  EXPECT_FALSE(address->local);
}

TEST(DockerHostTest, TcpWithTlsIsHttpsWithTheFiles) {
  EngineTls tls{"/c/ca.pem", "/c/cert.pem", "/c/key.pem", true};
  auto address = ParseDockerHost("tcp://engine.example:2376", tls);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->base_url, "https://engine.example:2376");
  ASSERT_TRUE(address->tls.has_value());
  EXPECT_EQ(address->tls->ca_file, "/c/ca.pem");
  EXPECT_EQ(address->tls->key_file, "/c/key.pem");

  auto default_port = ParseDockerHost("tcp://engine.example", tls);
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->base_url, "https://engine.example:2376");
}

TEST(DockerHostTest, LoopbackTcpIsLocal) {
  auto address = ParseDockerHost("tcp://127.0.0.1:2375", std::nullopt);
  ASSERT_TRUE(address.ok());
  EXPECT_TRUE(address->local);
  EXPECT_TRUE(ParseDockerHost("tcp://localhost:2375", std::nullopt)->local);
}

TEST(DockerHostTest, OtherSchemesAndShapesAreRefused) {
  EXPECT_FALSE(ParseDockerHost("ssh://user@host", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("npipe:////./pipe/docker_engine", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("tcp://host:port", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("tcp://host:2375/path", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("tcp://user:pw@host:2375", std::nullopt).ok());
  EXPECT_FALSE(ParseDockerHost("", std::nullopt).ok());
}

TEST(DockerHostTest, TlsFromDockerEnvFollowsTheConvention) {
  EXPECT_FALSE(TlsFromDockerEnv(nullptr, nullptr, "/home/u").has_value());
  EXPECT_FALSE(TlsFromDockerEnv("", "", "/home/u").has_value());

  auto verify_default_dir = TlsFromDockerEnv("1", nullptr, "/home/u");
  ASSERT_TRUE(verify_default_dir.has_value());
  EXPECT_EQ(verify_default_dir->ca_file, "/home/u/.docker/ca.pem");
  EXPECT_EQ(verify_default_dir->cert_file, "/home/u/.docker/cert.pem");
  EXPECT_TRUE(verify_default_dir->verify);

  auto no_verify = TlsFromDockerEnv(nullptr, "/certs", "/home/u");
  ASSERT_TRUE(no_verify.has_value());
  EXPECT_EQ(no_verify->key_file, "/certs/key.pem");
  EXPECT_FALSE(no_verify->verify);
}

}  // namespace
}  // namespace mcpgw::runtime
