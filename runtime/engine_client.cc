#include "runtime/engine_client.h"

#include <curl/curl.h>

#include <memory>

#include "absl/status/status.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{5'000};
// Engine answers (inspect, logs tails, lists) are small; anything bigger is
// cut off rather than held.
constexpr std::size_t kMaxResponseBytes = 8 * 1024 * 1024;

std::size_t Collect(char* data, std::size_t size, std::size_t count,
                    void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (body->size() + n > kMaxResponseBytes) return 0;
  body->append(data, n);
  return n;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// Unix socket or TCP, and the TLS files for an https engine.
void ApplyTransport(CURL* c, const EngineAddress& address) {
  if (!address.unix_socket.empty()) {
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, address.unix_socket.c_str());
  }
  if (address.tls) {
    const EngineTls& tls = *address.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert_file.c_str());
    if (!tls.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  }
}

// What every engine request sets: where it goes and how, no signals, no
// proxy, curl's own error text into `error`, a bound on connecting.
void PrepareEngineRequest(CURL* c, const EngineAddress& address,
                          const std::string& url, char* error) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(kConnectTimeout.count()));
  ApplyTransport(c, address);
}

}  // namespace

EngineClient::EngineClient(EngineAddress address)
    : address_(std::move(address)) {}

namespace {

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
  for (std::size_t newline = state->partial.find('\n', start);
       newline != std::string::npos;
       newline = state->partial.find('\n', start)) {
    (*state->on_line)(
        std::string_view(state->partial).substr(start, newline - start));
    start = newline + 1;
  }
  state->partial.erase(0, start);
  if (state->partial.size() > kMaxResponseBytes) return 0;  // not lines
  return n;
}

int StreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t,
                   curl_off_t) {
  auto* state = static_cast<StreamState*>(user);
  return (*state->should_stop)() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

absl::Status EngineClient::Stream(
    const std::string& path,
    const std::function<void(std::string_view)>& on_line,
    const std::function<bool()>& should_stop) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url = text::Cat(address_.base_url, "/", kApiVersion, path);
  StreamState state{&on_line, &should_stop, {}};
  char error[CURL_ERROR_SIZE] = {0};
  PrepareEngineRequest(c, address_, url, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, StreamLines);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, StreamProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
  const CURLcode code = curl_easy_perform(c);
  if (code == CURLE_OK || code == CURLE_ABORTED_BY_CALLBACK) {
    return absl::OkStatus();
  }
  const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
  return absl::UnavailableError(text::Cat(
      "container engine event stream at ", address_.display, ": ", detail));
}

absl::StatusOr<EngineResponse> EngineClient::Call(
    const std::string& method, const std::string& path,
    const std::optional<std::string>& body,
    std::chrono::milliseconds timeout) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url =
      text::Cat(address_.base_url, "/", kApiVersion, path);
  EngineResponse response;
  char error[CURL_ERROR_SIZE] = {0};
  PrepareEngineRequest(c, address_, url, error);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  if (body.has_value()) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
    return absl::UnavailableError(text::Cat(
        "cannot reach the container engine at ", address_.display, " (",
        method, " ", path.substr(0, path.find('?')), "): ", detail));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace mcpgw::runtime
