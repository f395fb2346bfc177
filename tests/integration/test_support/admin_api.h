#pragma once
// Reads the gateway's admin API (GET /admin/instances, /admin/warm-pool).

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support/http_client.h"

namespace mcpgw::it {

struct InstanceInfo {
  std::string id;
  std::string target;  // redacted DSN
  std::string state;   // starting | ready | stopping
  pid_t pid = -1;
  int port = -1;
  std::string container_id;  // docker runtime only
  std::string image;         // docker runtime only
  nlohmann::json raw;
};

struct InstancesSnapshot {
  HttpResponse response;
  bool parsed = false;  // a JSON object with an "instances" array
  std::vector<InstanceInfo> instances;
};

// GET http://127.0.0.1:<admin_port>/admin/instances.
InstancesSnapshot FetchInstances(HttpClient& http, int admin_port);

// GET http://127.0.0.1:<admin_port>/admin/warm-pool: the body, or null when
// it is not a JSON object answered with 200.
nlohmann::json FetchWarmPool(HttpClient& http, int admin_port);

}  // namespace mcpgw::it
