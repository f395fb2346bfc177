// ListAndWatch against a scripted API server on loopback (the narrow place
// where a fault, here 410 Gone, must be injected): a watch whose version
// has expired makes it list again, and the events of both lists arrive.

#include "runtime/kube_watch.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace mcpgw::runtime {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

// Answers one request per connection, from the script by request kind.
class ScriptedApiServer {
 public:
  ScriptedApiServer() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedApiServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      const std::string target(request.target());
      int lists = 0;
      {
        std::lock_guard lock(mutex_);
        targets_.push_back(target);
        for (const auto& t : targets_) lists += t.find("watch=1") == std::string::npos;
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      if (target.find("watch=1") == std::string::npos) {
        // First list: pod a at version 10. Second list: pod b at 20.
        response.body() = lists == 1
            ? R"J({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"a","resourceVersion":"10"}}]})J"
            : R"J({"metadata":{"resourceVersion":"20"},"items":[{"metadata":{"name":"b","resourceVersion":"20"}}]})J";
      } else if (target.find("resourceVersion=10") != std::string::npos) {
        // The watch from 10: one event, then "too old" (etcd compacted).
        response.body() =
            R"J({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})J" "\n"
            R"J({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 11 (15)"}})J" "\n";
      } else {
        // The watch from the relist: one event, then the server ends it.
        response.body() =
            R"J({"type":"ADDED","object":{"metadata":{"name":"c","resourceVersion":"21"}}})J" "\n";
      }
      response.prepare_payload();
      http::write(socket, response, ec);
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> targets_;
  std::thread thread_;
};

TEST(KubeWatchTest, ExpiredVersionMakesItListAgain) {
  ScriptedApiServer server;
  KubeCredentials credentials;
  credentials.server = server.url();
  const KubeClient client(credentials);
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::vector<std::string> seen;  // "list:a", "MODIFIED:a", ...
  KubeWatchHandlers handlers;
  handlers.on_list = [&](const json& items, auto) {
    std::lock_guard lock(mutex);
    for (const auto& item : items) seen.push_back("list:" + item["metadata"]["name"].get<std::string>());
  };
  handlers.on_event = [&](const std::string& type, const json& object) {
    std::lock_guard lock(mutex);
    seen.push_back(type + ":" + object["metadata"]["name"].get<std::string>());
    if (object["metadata"]["name"] == "c") stopping = true;
  };
  handlers.on_error = [](long, const std::string&) {};
  ListAndWatch(client, {.collection = "/api/v1/namespaces/x/pods", .label_selector = "app=y"},
               handlers, stopping);
  EXPECT_EQ(seen, (std::vector<std::string>{"list:a", "MODIFIED:a", "list:b", "ADDED:c"}));
  const auto targets = server.targets();
  ASSERT_GE(targets.size(), 4u);
  EXPECT_EQ(targets[0], "/api/v1/namespaces/x/pods?labelSelector=app%3Dy");
  EXPECT_NE(targets[1].find("watch=1"), std::string::npos);
  EXPECT_NE(targets[1].find("resourceVersion=10"), std::string::npos);
  EXPECT_EQ(targets[2], targets[0]);  // listed again after 410
  EXPECT_NE(targets[3].find("resourceVersion=20"), std::string::npos);
}

}  // namespace
}  // namespace mcpgw::runtime
