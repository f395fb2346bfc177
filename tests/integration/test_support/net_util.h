#pragma once
// Loopback ports for the tests.

namespace mcpgw::it {

// A port on 127.0.0.1 that was free a moment ago (bound to 0, read, closed).
int PickFreePort();

// Holds a 127.0.0.1 port bound but NOT listening for its lifetime: nobody else
// can take it and every connect() to it is refused (ECONNREFUSED).
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace mcpgw::it
