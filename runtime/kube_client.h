#pragma once
// HTTPS to the Kubernetes API server: where it is and how to authenticate
// (a kubeconfig file, or the in-cluster service account), and one libcurl
// request per call, or a stream of lines (watches). Moves bytes only.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mcpgw::runtime {

struct KubeCredentials {
  std::string server;  // https://host:port, no trailing slash
  // CA: PEM text or a file (neither: the system's CAs).
  std::string ca_pem;
  std::string ca_file;
  bool insecure_skip_verify = false;
  // Client certificate: PEM text or files.
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string client_cert_file;
  std::string client_key_file;
  // Bearer token, or a file re-read on every request (rotated
  // service-account tokens).
  std::string token;
  std::string token_file;
  // Where it came from, for messages (no secret).
  std::string source;
};

// Parses kubeconfig text (YAML): the current context's cluster and user
// (`context` overrides current-context). Relative file paths are taken from
// `base_dir`. Errors name what is missing.
absl::StatusOr<KubeCredentials> ParseKubeconfig(
    std::string_view yaml, const std::filesystem::path& base_dir,
    const std::string& context = "");
absl::StatusOr<KubeCredentials> LoadKubeconfig(const std::filesystem::path& path);
// KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA
// (/var/run/secrets/kubernetes.io/serviceaccount, or `sa_dir`).
absl::StatusOr<KubeCredentials> InClusterCredentials(
    const std::filesystem::path& sa_dir =
        "/var/run/secrets/kubernetes.io/serviceaccount");
// The service account's namespace when running in a cluster, else "".
std::string InClusterNamespace(
    const std::filesystem::path& sa_dir =
        "/var/run/secrets/kubernetes.io/serviceaccount");

struct KubeResponse {
  long status = 0;
  std::string body;
};

class KubeClient {
 public:
  explicit KubeClient(KubeCredentials credentials);

  // `path` e.g. "/api/v1/namespaces/x/pods". Errors: Unavailable when the
  // API server cannot be reached; any HTTP status is a response. A body is
  // sent as `content_type` (PATCH wants application/merge-patch+json).
  absl::StatusOr<KubeResponse> Call(const std::string& method,
                                    const std::string& path,
                                    const std::optional<std::string>& body,
                                    std::chrono::milliseconds timeout,
                                    const char* content_type = kJsonContent) const;
  static constexpr const char* kJsonContent = "application/json";
  static constexpr const char* kMergePatchContent = "application/merge-patch+json";

  // GET `path` and hand every line to `on_line` as it comes (watches).
  // Returns when the server ends the answer, the connection breaks
  // (Unavailable), or `should_stop` returns true (checked about once a
  // second). `status` receives the HTTP status.
  absl::Status Stream(const std::string& path,
                      const std::function<void(std::string_view)>& on_line,
                      const std::function<bool()>& should_stop,
                      long* status = nullptr) const;

  const KubeCredentials& credentials() const { return credentials_; }

 private:
  const KubeCredentials credentials_;
};


}  // namespace mcpgw::runtime
