#pragma once
// The admin listener: liveness and the list of instances.

#include <string>

#include <nlohmann/json.hpp>

#include "gateway/http_server.h"
#include "runtime/instance_pool.h"

namespace mcpgw::gateway {

// The JSON the admin API shows for one instance. Nothing secret.
nlohmann::json InstanceToJson(const runtime::InstanceSnapshot& instance);

class AdminHandler final : public RequestHandler {
 public:
  explicit AdminHandler(runtime::InstancePool& pool) : pool_(pool) {}
  asio::awaitable<bool> Handle(Request request,
                               beast::tcp_stream& stream) override;

 private:
  runtime::InstancePool& pool_;
};

}  // namespace mcpgw::gateway
