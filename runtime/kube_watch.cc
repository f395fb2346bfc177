#include "runtime/kube_watch.h"

#include <thread>

#include "common/text.h"
#include "runtime/container_spec.h"
#include "runtime/kube_spec.h"

namespace mcpgw::runtime {

using nlohmann::json;

namespace {

constexpr int kWatchSeconds = 120;

void PauseUnlessStopping(const std::atomic<bool>& stopping) {
  for (int i = 0; i < 10 && !stopping.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void ListAndWatch(const KubeClient& client, const KubeWatchTarget& target,
                  const KubeWatchHandlers& handlers, const std::atomic<bool>& stopping) {
  const std::string selector =
      target.label_selector.empty()
          ? ""
          : text::Cat("labelSelector=", QueryEscape(target.label_selector));
  auto query = [&](const std::string& more) {
    std::string q = selector;
    if (!more.empty()) q += (q.empty() ? "" : "&") + more;
    return q.empty() ? target.collection : text::Cat(target.collection, "?", q);
  };
  const auto stop = [&] { return stopping.load(); };
  while (!stopping.load()) {
    const auto list_started = std::chrono::steady_clock::now();
    // Through the streaming call: it carries the Accept header.
    std::string body;
    long status = 0;
    auto listed = client.Stream(
        query(""), [&](std::string_view line) { body.append(line).append("\n"); }, stop,
        &status, target.list_accept);
    if (stopping.load()) return;
    if (!listed.ok() || status != 200) {
      handlers.on_error(listed.ok() ? status : 0,
                        listed.ok() ? DescribeApiError(status, body,
                                                       text::Cat("list ", target.collection))
                                    : std::string(listed.message()));
      PauseUnlessStopping(stopping);
      continue;
    }
    const json list = json::parse(body, nullptr, false);
    if (!list.is_object()) {
      handlers.on_error(status, text::Cat("list ", target.collection, ": the answer is not JSON"));
      PauseUnlessStopping(stopping);
      continue;
    }
    std::string version =
        list.value("metadata", json::object()).value("resourceVersion", std::string());
    handlers.on_list(list.value("items", json::array()), list_started);
    bool relist = false;
    while (!stopping.load() && !relist) {
      long watch_status = 0;
      auto streamed = client.Stream(
          query(text::Cat("watch=1&allowWatchBookmarks=true&timeoutSeconds=",
                          kWatchSeconds, "&resourceVersion=", QueryEscape(version))),
          [&](std::string_view line) {
            if (line.empty()) return;
            const json event = json::parse(line, nullptr, false);
            if (!event.is_object()) return;
            const std::string type = event.value("type", std::string());
            const json object = event.value("object", json::object());
            if (type == "ERROR") {
              relist = true;  // 410 Gone (version too old) and anything else
              return;
            }
            const std::string rv = object.value("metadata", json::object())
                                       .value("resourceVersion", std::string());
            if (!rv.empty()) version = rv;  // BOOKMARK included
            if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") {
              handlers.on_event(type, object);
            }
          },
          [&] { return stopping.load() || relist; }, &watch_status, target.watch_accept);
      if (!streamed.ok()) {
        handlers.on_error(0, std::string(streamed.message()));
        relist = true;
        PauseUnlessStopping(stopping);
      } else if (watch_status != 200 && !stopping.load()) {
        // 410 answered to the watch request itself, or any other refusal.
        handlers.on_error(watch_status,
                          DescribeApiError(watch_status, "", text::Cat("watch ", target.collection)));
        relist = true;
        PauseUnlessStopping(stopping);
      }
    }
  }
}

}  // namespace mcpgw::runtime
