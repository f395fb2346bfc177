#include "test_support/admin_api.h"

#include <fstream>

namespace mcpgw::it {
namespace {

constexpr std::chrono::milliseconds kAdminTimeout{10000};

template <typename T>
T NumberOr(const nlohmann::json& object, const char* key, T fallback) {
  auto it = object.find(key);
  return (it != object.end() && it->is_number_integer()) ? it->get<T>()
                                                         : fallback;
}

std::string StringOr(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>()
                                                 : "";
}

}  // namespace

std::string ReadAdminToken(const std::filesystem::path& state_dir) {
  std::ifstream in(state_dir / "admin-token");
  std::string token;
  std::getline(in, token);
  return token;
}

namespace {

HttpRequest AdminHttpRequest(int admin_port, const std::string& token,
                             const std::string& method, const std::string& path) {
  HttpRequest request;
  request.method = method;
  request.url = "http://127.0.0.1:" + std::to_string(admin_port) + path;
  if (!token.empty()) request.headers.push_back("Authorization: Bearer " + token);
  request.timeout = kAdminTimeout;
  return request;
}

}  // namespace

HttpResponse AdminRequest(HttpClient& http, int admin_port,
                          const std::string& token, const std::string& method,
                          const std::string& path) {
  return http.Send(AdminHttpRequest(admin_port, token, method, path));
}

HttpResponse AdminRequest(HttpClient& http, int admin_port,
                          const std::string& token, const std::string& method,
                          const std::string& path, const nlohmann::json& body) {
  HttpRequest request = AdminHttpRequest(admin_port, token, method, path);
  request.headers.push_back("Content-Type: application/json");
  request.body = body.dump();
  return http.Send(request);
}

InstancesSnapshot FetchInstances(HttpClient& http, int admin_port,
                                 const std::string& token,
                                 const std::string& query) {
  InstancesSnapshot snapshot;
  snapshot.response = AdminRequest(http, admin_port, token, "GET",
                                   "/admin/instances" + query);
  auto body = nlohmann::json::parse(snapshot.response.body, nullptr,
                                    /*allow_exceptions=*/false);
  if (snapshot.response.status != 200 || !body.is_object() ||
      !body.contains("instances") || !body["instances"].is_array()) {
    return snapshot;
  }
  snapshot.parsed = true;
  for (const auto& item : body["instances"]) {
    if (!item.is_object()) continue;
    InstanceInfo info;
    info.id = StringOr(item, "id");
    info.target = StringOr(item, "target");
    info.state = StringOr(item, "state");
    info.pid = NumberOr<pid_t>(item, "pid", -1);
    info.port = NumberOr<int>(item, "port", -1);
    info.container_id = StringOr(item, "container_id");
    info.image = StringOr(item, "image");
    info.raw = item;
    snapshot.instances.push_back(std::move(info));
  }
  return snapshot;
}

nlohmann::json FetchWarmPool(HttpClient& http, int admin_port,
                             const std::string& token) {
  const auto response =
      AdminRequest(http, admin_port, token, "GET", "/admin/warm-pool");
  auto body = nlohmann::json::parse(response.body, nullptr,
                                    /*allow_exceptions=*/false);
  return response.status == 200 && body.is_object() ? body : nlohmann::json();
}

}  // namespace mcpgw::it
