// ListAndWatch against a scripted API server on loopback (the narrow place
// where a fault, here 410 Gone, must be injected): a watch whose version
// has expired makes it list again, and the events of both lists arrive.

#include "runtime/kube_watch.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/loopback_api_server.h"

namespace mcpgw::runtime {
namespace {

using nlohmann::json;

// Answers each request from the script by request kind, and keeps its target.
class ScriptedApiServer {
 public:
  std::string url() const { return server_.url(); }
  std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  LoopbackApiServer::Response Answer(const LoopbackApiServer::Request& request) {
    const std::string target(request.target());
    int lists = 0;
    {
      std::lock_guard lock(mutex_);
      targets_.push_back(target);
      for (const auto& t : targets_) lists += t.find("watch=1") == std::string::npos;
    }
    if (target.find("watch=1") == std::string::npos) {
      // First list: pod a at version 10. Second list: pod b at 20.
      return LoopbackApiServer::Json(lists == 1
          ? R"J({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"a","resourceVersion":"10"}}]})J"
          : R"J({"metadata":{"resourceVersion":"20"},"items":[{"metadata":{"name":"b","resourceVersion":"20"}}]})J");
    }
    if (target.find("resourceVersion=10") != std::string::npos) {
      // The watch from 10: one event, then "too old" (etcd compacted).
      return LoopbackApiServer::Json(
          R"J({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})J" "\n"
          R"J({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 11 (15)"}})J" "\n");
    }
    // The watch from the relist: one event, then the server ends it.
    return LoopbackApiServer::Json(
        R"J({"type":"ADDED","object":{"metadata":{"name":"c","resourceVersion":"21"}}})J" "\n");
  }

  std::mutex mutex_;
  std::vector<std::string> targets_;
  LoopbackApiServer server_{[this](const auto& request) { return Answer(request); }};
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
