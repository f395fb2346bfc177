#pragma once
// The admin listener: liveness, the list of instances, the warm pool.

#include <string>

#include <nlohmann/json.hpp>

#include "gateway/http_server.h"
#include "runtime/instance_pool.h"
#include "runtime/warm_pool.h"

namespace mcpgw::gateway {

// The JSON the admin API shows for one instance. Nothing secret.
nlohmann::json InstanceToJson(const runtime::InstanceSnapshot& instance);
// The warm pool's state and counters.
nlohmann::json WarmPoolToJson(const runtime::WarmPoolStats& stats);

class AdminHandler final : public RequestHandler {
 public:
  // `warm_pool` may be null (turned off).
  AdminHandler(runtime::InstancePool& pool, const runtime::WarmPool* warm_pool)
      : pool_(pool), warm_pool_(warm_pool) {}
  asio::awaitable<bool> Handle(Request request,
                               beast::tcp_stream& stream) override;

 private:
  runtime::InstancePool& pool_;
  const runtime::WarmPool* warm_pool_;
};

}  // namespace mcpgw::gateway
