#pragma once
// Reads and drives the gateway's admin API with its admin token.

#include <sys/types.h>

#include <filesystem>
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

// The admin token a gateway generated at <state_dir>/admin-token ("" if
// there is none).
std::string ReadAdminToken(const std::filesystem::path& state_dir);

// METHOD http://127.0.0.1:<admin_port><path>, with `Authorization: Bearer
// <token>` unless the token is empty.
HttpResponse AdminRequest(HttpClient& http, int admin_port,
                          const std::string& token, const std::string& method,
                          const std::string& path);

// The same with a JSON body (Content-Type: application/json).
HttpResponse AdminRequest(HttpClient& http, int admin_port,
                          const std::string& token, const std::string& method,
                          const std::string& path, const nlohmann::json& body);

// GET /admin/warm-pool: the body, or null when it is not a JSON object
// answered with 200.
nlohmann::json FetchWarmPool(HttpClient& http, int admin_port,
                             const std::string& token);

// GET /admin/instances<query> (query: "" or "?state=ready" ...).
InstancesSnapshot FetchInstances(HttpClient& http, int admin_port,
                                 const std::string& token,
                                 const std::string& query = "");

}  // namespace mcpgw::it
