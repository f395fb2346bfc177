#pragma once
// Whether the gateway's Kubernetes identity may do what a part of it needs,
// asked once at start-up (SelfSubjectAccessReview), so that a missing RBAC
// rule is named in one clear error instead of failing later, call by call.

#include <chrono>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "runtime/kube_client.h"

namespace mcpgw::runtime {

struct KubePermission {
  const char* verb;
  const char* group;  // "" for the core API group
  const char* resource;
  const char* subresource;  // "" for none
};

// OK when every permission in `needs` is allowed in `namespace_name`, or
// when the API server cannot be asked (the calls themselves will then say
// what they lack); Unauthenticated when the credentials are refused;
// PermissionDenied naming each missing permission, followed by `hint`.
absl::Status CheckKubePermissions(const KubeClient& client,
                                  std::string_view namespace_name,
                                  std::span<const KubePermission> needs,
                                  std::string_view hint,
                                  std::chrono::milliseconds timeout);

}  // namespace mcpgw::runtime
