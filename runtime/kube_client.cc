#include "runtime/kube_client.h"

#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{5'000};
constexpr std::size_t kMaxResponseBytes = 16 * 1024 * 1024;

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(text::Cat("cannot read ", path.string()));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  std::size_t start = 0;
  while (start < text.size() &&
         std::isspace(static_cast<unsigned char>(text[start]))) {
    ++start;
  }
  return text.substr(start);
}

// The `name`d entry's `field` map in a kubeconfig list (clusters, users,
// contexts).
YAML::Node Named(const YAML::Node& list, const std::string& name,
                 const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) {
      return entry[field];
    }
  }
  return YAML::Node();
}

std::string Scalar(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap() || !node[key] || !node[key].IsScalar()) return "";
  return node[key].as<std::string>();
}

std::string Resolve(const std::string& path, const std::filesystem::path& base) {
  if (path.empty()) return path;
  const std::filesystem::path p(path);
  return p.is_absolute() ? path : (base / p).lexically_normal().string();
}

absl::StatusOr<std::string> DecodeData(const std::string& field,
                                       const std::string& value) {
  std::string decoded;
  if (!absl::Base64Unescape(value, &decoded)) {
    return absl::InvalidArgumentError(
        text::Cat("kubeconfig: ", field, " is not base64"));
  }
  return decoded;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (body->size() + n > kMaxResponseBytes) return 0;
  body->append(data, n);
  return n;
}

void SetBlob(CURL* c, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(c, option, &blob);
}

// Everything but the method and body: URL, TLS, authentication. Returns
// the header list to keep alive for the request, or an error (token file).
absl::StatusOr<std::unique_ptr<curl_slist, SlistDeleter>> Prepare(
    CURL* c, const KubeCredentials& creds, const std::string& url, char* error,
    const char* content_type, const char* accept = "application/json") {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(kConnectTimeout.count()));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!creds.ca_pem.empty()) SetBlob(c, CURLOPT_CAINFO_BLOB, creds.ca_pem);
  if (!creds.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, creds.ca_file.c_str());
  if (creds.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!creds.client_cert_pem.empty()) {
    SetBlob(c, CURLOPT_SSLCERT_BLOB, creds.client_cert_pem);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!creds.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, creds.client_cert_file.c_str());
  }
  if (!creds.client_key_pem.empty()) {
    SetBlob(c, CURLOPT_SSLKEY_BLOB, creds.client_key_pem);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!creds.client_key_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY, creds.client_key_file.c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, text::Cat("Accept: ", accept).c_str()));
  if (content_type != nullptr) {
    headers.reset(curl_slist_append(headers.release(),
                                    text::Cat("Content-Type: ", content_type).c_str()));
  }
  std::string token = creds.token;
  if (!creds.token_file.empty()) {
    auto read = ReadFile(creds.token_file);
    if (!read.ok()) {
      return absl::UnavailableError(text::Cat(
          "the Kubernetes service-account token: ", read.status().message()));
    }
    token = Trim(*std::move(read));
  }
  if (!token.empty()) {
    std::string header = text::Cat("Authorization: Bearer ", token);
    headers.reset(curl_slist_append(headers.release(), header.c_str()));
    std::fill(header.begin(), header.end(), '\0');
    std::fill(token.begin(), token.end(), '\0');
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  return headers;
}

struct StreamState {
  const std::function<void(std::string_view)>* on_line;
  const std::function<bool()>* should_stop;
  std::string partial;
};

std::size_t StreamLines(char* data, std::size_t size, std::size_t count,
                        void* user) {
  auto* state = static_cast<StreamState*>(user);
  const std::size_t n = size * count;
  state->partial.append(data, n);
  std::size_t start = 0;
  for (std::size_t nl = state->partial.find('\n', start); nl != std::string::npos;
       nl = state->partial.find('\n', start)) {
    (*state->on_line)(std::string_view(state->partial).substr(start, nl - start));
    start = nl + 1;
  }
  state->partial.erase(0, start);
  if (state->partial.size() > kMaxResponseBytes) return 0;
  return n;
}

int StreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<StreamState*>(user);
  return (*state->should_stop)() ? 1 : 0;
}

}  // namespace

absl::StatusOr<KubeCredentials> ParseKubeconfig(
    std::string_view yaml, const std::filesystem::path& base_dir,
    const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        text::Cat("kubeconfig is not YAML: ", e.what()));
  }
  if (!root || !root.IsMap()) {
    return absl::InvalidArgumentError("kubeconfig is empty or not a map");
  }
  try {
    std::string context_name =
        context.empty() ? Scalar(root, "current-context") : context;
    YAML::Node ctx;
    if (!context_name.empty()) {
      ctx = Named(root["contexts"], context_name, "context");
      if (!ctx) {
        return absl::InvalidArgumentError(
            text::Cat("kubeconfig: no context named '", context_name, "'"));
      }
    } else if (root["contexts"] && root["contexts"].IsSequence() &&
               root["contexts"].size() == 1) {
      ctx = root["contexts"][0]["context"];
    } else {
      return absl::InvalidArgumentError(
          "kubeconfig: no current-context (and not exactly one context)");
    }
    const std::string cluster_name = Scalar(ctx, "cluster");
    const std::string user_name = Scalar(ctx, "user");
    const YAML::Node cluster = Named(root["clusters"], cluster_name, "cluster");
    if (!cluster) {
      return absl::InvalidArgumentError(
          text::Cat("kubeconfig: no cluster named '", cluster_name, "'"));
    }
    KubeCredentials out;
    out.server = Scalar(cluster, "server");
    while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
    if (out.server.empty()) {
      return absl::InvalidArgumentError(
          text::Cat("kubeconfig: cluster '", cluster_name, "' has no server"));
    }
    if (auto data = Scalar(cluster, "certificate-authority-data"); !data.empty()) {
      auto decoded = DecodeData("certificate-authority-data", data);
      if (!decoded.ok()) return decoded.status();
      out.ca_pem = *std::move(decoded);
    }
    out.ca_file = Resolve(Scalar(cluster, "certificate-authority"), base_dir);
    out.insecure_skip_verify =
        Scalar(cluster, "insecure-skip-tls-verify") == "true";
    const YAML::Node user = Named(root["users"], user_name, "user");
    if (user && user.IsMap()) {
      if (auto data = Scalar(user, "client-certificate-data"); !data.empty()) {
        auto decoded = DecodeData("client-certificate-data", data);
        if (!decoded.ok()) return decoded.status();
        out.client_cert_pem = *std::move(decoded);
      }
      if (auto data = Scalar(user, "client-key-data"); !data.empty()) {
        auto decoded = DecodeData("client-key-data", data);
        if (!decoded.ok()) return decoded.status();
        out.client_key_pem = *std::move(decoded);
      }
      out.client_cert_file = Resolve(Scalar(user, "client-certificate"), base_dir);
      out.client_key_file = Resolve(Scalar(user, "client-key"), base_dir);
      out.token = Scalar(user, "token");
      out.token_file = Resolve(Scalar(user, "tokenFile"), base_dir);
      if (user["exec"] || user["auth-provider"]) {
        if (out.token.empty() && out.token_file.empty() &&
            out.client_cert_pem.empty() && out.client_cert_file.empty()) {
          return absl::InvalidArgumentError(text::Cat(
              "kubeconfig: user '", user_name,
              "' authenticates through an exec plugin or auth provider, which "
              "the gateway does not run: give it a token, token file or "
              "client certificate"));
        }
      }
    }
    const bool has_cert =
        !out.client_cert_pem.empty() || !out.client_cert_file.empty();
    const bool has_key = !out.client_key_pem.empty() || !out.client_key_file.empty();
    if (has_cert != has_key) {
      return absl::InvalidArgumentError(text::Cat(
          "kubeconfig: user '", user_name,
          "' has a client certificate without its key, or a key without it"));
    }
    out.source = text::Cat("context ", context_name.empty() ? "(only)" : context_name,
                           ", server ", out.server);
    return out;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        text::Cat("kubeconfig: unexpected structure: ", e.what()));
  }
}

absl::StatusOr<KubeCredentials> LoadKubeconfig(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        text::Cat("--kubeconfig: cannot read ", path.string()));
  }
  auto parsed = ParseKubeconfig(*text, path.parent_path());
  std::fill(text->begin(), text->end(), '\0');
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        text::Cat(path.string(), ": ", parsed.status().message()));
  }
  parsed->source = text::Cat(path.string(), " (", parsed->source, ")");
  return parsed;
}

absl::StatusOr<KubeCredentials> InClusterCredentials(
    const std::filesystem::path& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(
        "not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST/PORT unset): "
        "pass --kubeconfig");
  }
  KubeCredentials out;
  const std::string h = host;
  out.server = text::Cat("https://",
                         h.find(':') != std::string::npos ? text::Cat("[", h, "]") : h,
                         ":", port);
  out.token_file = (sa_dir / "token").string();
  out.ca_file = (sa_dir / "ca.crt").string();
  if (auto token = ReadFile(out.token_file); !token.ok()) {
    return absl::FailedPreconditionError(text::Cat(
        "in-cluster: no service-account token at ", out.token_file,
        " (automountServiceAccountToken off?): pass --kubeconfig"));
  }
  out.source = text::Cat("in-cluster service account, server ", out.server);
  return out;
}

std::string InClusterNamespace(const std::filesystem::path& sa_dir) {
  auto text = ReadFile(sa_dir / "namespace");
  return text.ok() ? Trim(*text) : "";
}

KubeClient::KubeClient(KubeCredentials credentials)
    : credentials_(std::move(credentials)) {}

absl::StatusOr<KubeResponse> KubeClient::Call(
    const std::string& method, const std::string& path,
    const std::optional<std::string>& body, std::chrono::milliseconds timeout,
    const char* content_type) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url = credentials_.server + path;
  char error[CURL_ERROR_SIZE] = {0};
  auto headers =
      Prepare(c, credentials_, url, error, body.has_value() ? content_type : nullptr);
  if (!headers.ok()) return headers.status();
  KubeResponse response;
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  if (body.has_value()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
    return absl::UnavailableError(text::Cat(
        "cannot reach the Kubernetes API server at ", credentials_.server, " (",
        method, " ", path.substr(0, path.find('?')), "): ", detail));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

absl::Status KubeClient::Stream(
    const std::string& path, const std::function<void(std::string_view)>& on_line,
    const std::function<bool()>& should_stop, long* status,
    const char* accept) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url = credentials_.server + path;
  char error[CURL_ERROR_SIZE] = {0};
  auto headers = Prepare(c, credentials_, url, error, nullptr, accept);
  if (!headers.ok()) return headers.status();
  StreamState state{&on_line, &should_stop, {}};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, StreamLines);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, StreamProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
  const CURLcode code = curl_easy_perform(c);
  if (status != nullptr) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  if (!state.partial.empty()) on_line(state.partial);
  if (code == CURLE_OK || code == CURLE_ABORTED_BY_CALLBACK) return absl::OkStatus();
  const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
  return absl::UnavailableError(text::Cat(
      "Kubernetes watch at ", credentials_.server, ": ", detail));
}


}  // namespace mcpgw::runtime
