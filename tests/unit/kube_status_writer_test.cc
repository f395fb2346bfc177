// KubeStatusWriter against an API server on loopback that can hold a write
// (the narrow place where a slow API server must be injected): queuing never
// waits on a write under way, the newest status of an object is the one
// written, and a status the object already says is not written at all.

#include "runtime/kube_status_writer.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/loopback_api_server.h"

namespace mcpgw::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kTenants[] = "/apis/mcp-gateway.dev/v1alpha1/namespaces/x/tenants";

struct Write {
  std::string method;
  std::string target;
  json status;
};

// Records every request; the first one waits until Release().
class HoldingApiServer {
 public:
  ~HoldingApiServer() { Release(); }
  std::string url() const { return server_.url(); }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    changed_.notify_all();
  }
  // The writes received, once there are `count` (or what came within 20 s).
  std::vector<Write> WaitForWrites(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 20s, [&] { return writes_.size() >= count; });
    return writes_;
  }

 private:
  LoopbackApiServer::Response Answer(const LoopbackApiServer::Request& request) {
    std::unique_lock lock(mutex_);
    writes_.push_back({std::string(request.method_string()), std::string(request.target()),
                       json::parse(request.body()).value("status", json())});
    changed_.notify_all();
    changed_.wait_for(lock, 20s, [&] { return !holding_; });
    return LoopbackApiServer::Json("{}");
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = true;
  std::vector<Write> writes_;
  LoopbackApiServer server_{[this](const auto& request) { return Answer(request); }};
};

std::shared_ptr<const KubeClient> ClientOf(const HoldingApiServer& server) {
  KubeCredentials credentials;
  credentials.server = server.url();
  return std::make_shared<const KubeClient>(credentials);
}

json Tenant(const std::string& name, json status = nullptr) {
  json object = {{"metadata", {{"name", name}, {"resourceVersion", "7"}}}, {"spec", json::object()}};
  if (!status.is_null()) object["status"] = std::move(status);
  return object;
}

json Ready(const std::string& message, const std::string& when) {
  return {{"revision", 1},
          {"conditions", json::array({{{"type", "Ready"},
                                       {"message", message},
                                       {"lastTransitionTime", when}}})}};
}

TEST(KubeStatusWriterTest, QueuingDoesNotWaitAndTheNewestStatusIsWritten) {
  HoldingApiServer server;
  KubeStatusWriter writer(ClientOf(server));
  writer.Queue(kTenants, Tenant("a"), Ready("first", "t1"));
  ASSERT_EQ(server.WaitForWrites(1).size(), 1u);
  // The API server holds that write: these return at once, and the two
  // statuses of "a" queued meanwhile come down to the newest.
  writer.Queue(kTenants, Tenant("a"), Ready("second", "t2"));
  writer.Queue(kTenants, Tenant("a"), Ready("third", "t3"));
  server.Release();
  ASSERT_EQ(server.WaitForWrites(2).size(), 2u);
  writer.Queue(kTenants, Tenant("b"), Ready("other", "t4"));
  const auto writes = server.WaitForWrites(3);
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].method, "PUT");
  EXPECT_EQ(writes[0].target, std::string(kTenants) + "/a/status");
  EXPECT_EQ(writes[0].status, Ready("first", "t1"));
  EXPECT_EQ(writes[1].target, std::string(kTenants) + "/a/status");
  EXPECT_EQ(writes[1].status, Ready("third", "t3"));
  EXPECT_EQ(writes[2].target, std::string(kTenants) + "/b/status");
}

TEST(KubeStatusWriterTest, AStatusTheObjectSaysAlreadyIsNotWritten) {
  HoldingApiServer server;
  KubeStatusWriter writer(ClientOf(server));
  writer.Queue(kTenants, Tenant("a"), Ready("first", "t1"));
  ASSERT_EQ(server.WaitForWrites(1).size(), 1u);
  // Queued for "c" while the write of "a" is held; then "c" is seen saying
  // it (timestamps aside): the queued write would only repeat it.
  writer.Queue(kTenants, Tenant("c"), Ready("serving", "t2"));
  writer.Queue(kTenants, Tenant("c", Ready("serving", "t0")), Ready("serving", "t3"));
  // Already said by "d", timestamps aside: never queued.
  writer.Queue(kTenants, Tenant("d", Ready("serving", "t0")), Ready("serving", "t4"));
  server.Release();
  writer.Queue(kTenants, Tenant("e"), Ready("serving", "t5"));
  const auto writes = server.WaitForWrites(2);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].target, std::string(kTenants) + "/a/status");
  EXPECT_EQ(writes[1].target, std::string(kTenants) + "/e/status");
}

}  // namespace
}  // namespace mcpgw::runtime
