#include "test_support/net_util.h"

#include "runtime/process_spawn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace mcpgw::it {
namespace {

// Binds a fresh TCP socket to 127.0.0.1:0; returns the fd and sets `port`.
int BindLoopback(int& port) {
  auto bound = runtime::BindLoopbackSocket();
  if (!bound.ok()) throw std::runtime_error(std::string(bound.status().message()));
  port = bound->port;
  return bound->fd;
}

}  // namespace

int PickFreePort() {
  int port = 0;
  close(BindLoopback(port));
  return port;
}

RefusingPort::RefusingPort() { fd_ = BindLoopback(port_); }

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace mcpgw::it
