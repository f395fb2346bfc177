#pragma once
// A small HTTP server on 127.0.0.1:<free port> that records what webhooks
// POST to it and answers 204, or (kBlackHole) accepts connections into its
// backlog and never reads or answers, like a hung receiver.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mcpgw::it {

class WebhookReceiver {
 public:
  enum class Mode { kAnswer, kBlackHole };
  explicit WebhookReceiver(Mode mode = Mode::kAnswer);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT/hook

  struct Delivery {
    std::string request_line;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };
  std::vector<Delivery> deliveries() const;

 private:
  void Serve();

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::thread thread_;
};

// "sha256=" + hex HMAC-SHA256(secret, body): what the gateway must send.
std::string ExpectedSignature(const std::string& secret,
                              const std::string& body);

}  // namespace mcpgw::it
