#include "runtime/health_probe.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {
std::size_t Discard(char*, std::size_t size, std::size_t count, void*) {
  return size * count;
}
}  // namespace

bool ProbeHealthz(const std::string& host, std::uint16_t port,
                  std::chrono::milliseconds timeout) {
  return ProbeReadiness(host, port, "/healthz", false, timeout);
}

bool ProbeReadiness(const std::string& host, std::uint16_t port,
                    const std::string& path, bool any_status,
                    std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  const std::string url = text::Cat("http://", host, ":", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  const CURLcode result = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // With `any_status` a status line is enough, even if the body then
  // streams past the timeout (a GET that opens an SSE stream).
  const bool ok = any_status ? status >= 100
                             : result == CURLE_OK && status == 200;
  curl_easy_cleanup(curl);
  return ok;
}

}  // namespace mcpgw::runtime
