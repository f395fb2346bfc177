#include "runtime/kube_access.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "runtime/kube_spec.h"

namespace mcpgw::runtime {

absl::Status CheckKubePermissions(const KubeClient& client,
                                  std::string_view namespace_name,
                                  std::span<const KubePermission> needs,
                                  std::string_view hint,
                                  std::chrono::milliseconds timeout) {
  using json = nlohmann::json;
  std::string missing;
  for (const auto& need : needs) {
    const json review = {
        {"apiVersion", "authorization.k8s.io/v1"},
        {"kind", "SelfSubjectAccessReview"},
        {"spec",
         {{"resourceAttributes",
           {{"namespace", namespace_name},
            {"verb", need.verb},
            {"group", need.group},
            {"resource", need.resource},
            {"subresource", need.subresource}}}}}};
    auto response = client.Call(
        "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        review.dump(), timeout);
    if (!response.ok()) return response.status();
    if (response->status == 401) {
      return absl::UnauthenticatedError(DescribeApiError(
          response->status, response->body, "authenticate"));
    }
    if (response->status != 201 && response->status != 200) {
      return absl::OkStatus();  // cannot ask: the calls will say what they lack
    }
    const json answer = json::parse(response->body, nullptr, false);
    if (answer.is_object() &&
        answer.value("status", json::object()).value("allowed", false)) {
      continue;
    }
    if (!missing.empty()) missing += ", ";
    missing += text::Cat(need.verb, " ", need.resource,
                         *need.subresource ? "/" : "", need.subresource);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      text::Cat("RBAC: the gateway's Kubernetes identity may not ", missing,
                " in namespace ", namespace_name, " (", hint, ")"));
}

}  // namespace mcpgw::runtime
