#pragma once
// A minimal HTTP/1.1 client on libcurl. One HttpClient is one curl easy
// handle, hence one connection reused across its requests; use one per thread.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgw::it {

inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{60000};

struct HttpResponse {
  long status = 0;    // 0: no HTTP answer at all, see `error`
  std::string error;  // curl's reason when status is 0
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // JSON-RPC messages: every SSE `data:` event, or the JSON body (an array
  // gives one message per element).
  std::vector<nlohmann::json> messages;
  std::chrono::milliseconds elapsed{0};

  std::string Header(const std::string& lower_case_name) const;
  // Status, curl error, content type and the start of the body, for
  // assertion messages.
  std::string Describe() const;
};

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  bool chunked = false;  // POST the body with Transfer-Encoding: chunked
  std::chrono::milliseconds timeout = kDefaultRequestTimeout;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Send(const HttpRequest& request);
  HttpResponse Get(const std::string& url,
                   std::chrono::milliseconds timeout = kDefaultRequestTimeout);

 private:
  void* curl_;  // CURL*
};

// Parses JSON-RPC messages out of a response body according to its content
// type (text/event-stream or JSON). Unparseable parts are skipped.
std::vector<nlohmann::json> ParseMessages(const std::string& content_type,
                                          const std::string& body);

// Percent-encodes a string for a URL query value.
std::string UrlEncode(const std::string& text);

}  // namespace mcpgw::it
