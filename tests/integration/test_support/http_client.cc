#include "test_support/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace mcpgw::it {
namespace {

constexpr std::size_t kDescribeBodyChars = 600;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string ToLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue, redirects)
  } else if (const auto colon = line.find(':'); colon != std::string::npos) {
    (*headers)[ToLower(Trim(line.substr(0, colon)))] =
        Trim(line.substr(colon + 1));
  }
  return size * count;
}

struct UploadState {
  const std::string* body;
  std::size_t offset = 0;
};

size_t OnUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* state = static_cast<UploadState*>(user);
  // Small pieces, so that the body really goes out as several chunks.
  constexpr std::size_t kPiece = 512;
  const std::size_t n = std::min(
      {size * count, kPiece, state->body->size() - state->offset});
  std::memcpy(buffer, state->body->data() + state->offset, n);
  state->offset += n;
  return n;
}

void AppendJson(std::vector<nlohmann::json>& out, const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return;
  if (parsed.is_array()) {
    for (auto& element : parsed) out.push_back(std::move(element));
  } else {
    out.push_back(std::move(parsed));
  }
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::Describe() const {
  std::string text = "HTTP " + std::to_string(status);
  if (!error.empty()) text += " (curl: " + error + ")";
  text += ", " + std::to_string(elapsed.count()) + " ms";
  text += ", content-type '" + Header("content-type") + "'";
  text += ", body: " + body.substr(0, kDescribeBodyChars);
  if (body.size() > kDescribeBodyChars) text += "...";
  return text;
}

HttpClient::HttpClient() {
  GlobalInitOnce();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::Send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  HttpResponse response;
  UploadState upload{&request.body};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  curl_slist* headers = nullptr;
  for (const auto& header : request.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  // PUT/PATCH/DELETE with a body send it like a POST (admin API calls).
  const bool with_body = request.method == "POST" ||
                         (request.method != "GET" && !request.body.empty());
  if (with_body && request.method != "POST") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (with_body) {
    // No "Expect: 100-continue" round trip: the body goes out at once.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (request.chunked) {
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnUpload);
      curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const auto started = std::chrono::steady_clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  curl_slist_free_all(headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

  if (rc != CURLE_OK) {
    response.error = curl_easy_strerror(rc);
    response.status = 0;
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  }
  response.messages = ParseMessages(response.Header("content-type"),
                                    response.body);
  return response;
}

HttpResponse HttpClient::Get(const std::string& url,
                             std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.url = url;
  request.timeout = timeout;
  return Send(request);
}

std::vector<nlohmann::json> ParseMessages(const std::string& content_type,
                                          const std::string& body) {
  std::vector<nlohmann::json> messages;
  if (ToLower(content_type).find("text/event-stream") == std::string::npos) {
    AppendJson(messages, body);
    return messages;
  }
  // SSE: `data:` lines of one event are joined with '\n'; an empty line ends
  // the event.
  std::string data;
  bool have_data = false;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (have_data) AppendJson(messages, data);
      data.clear();
      have_data = false;
    } else if (line.rfind("data:", 0) == 0) {
      std::string value = line.substr(5);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (have_data) data += '\n';
      data += value;
      have_data = true;
    }
    pos = end + 1;
  }
  if (have_data) AppendJson(messages, data);
  return messages;
}

std::string UrlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace mcpgw::it
