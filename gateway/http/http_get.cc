#include "gateway/http/http_get.h"

#include <curl/curl.h>

#include <memory>

#include "common/text.h"

namespace mcpgw::gateway {
namespace {

// Discovery documents and key sets are a few kilobytes.
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

std::size_t Append(char* data, std::size_t size, std::size_t count,
                   void* userdata) {
  auto* body = static_cast<std::string*>(userdata);
  const std::size_t bytes = size * count;
  if (body->size() + bytes > kMaxBodyBytes) return 0;  // aborts the transfer
  body->append(data, bytes);
  return bytes;
}

absl::StatusOr<std::string> Get(const std::string& url,
                                std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                           curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  std::string body;
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        text::Cat("GET ", url, ": ", curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(
        text::Cat("GET ", url, ": HTTP status ", status));
  }
  return body;
}

}  // namespace

HttpGetFunction CurlHttpGet(std::chrono::milliseconds timeout) {
  return [timeout](const std::string& url) { return Get(url, timeout); };
}

}  // namespace mcpgw::gateway
