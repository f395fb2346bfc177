#pragma once
// List, then watch from the list's resourceVersion; relist when the watch
// says its version is too old (410 Gone, an ERROR event) or breaks. The
// one way the gateway follows a Kubernetes collection (its pods, the
// ConfigMaps of ended sessions). Blocks until `stopping`; call it on a thread
// of its own.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/kube_client.h"

namespace mcpgw::runtime {

struct KubeWatchHandlers {
  // Every (re)list: the items, and when the list request was sent.
  std::function<void(const nlohmann::json& items,
                     std::chrono::steady_clock::time_point list_started)>
      on_list;
  // ADDED, MODIFIED or DELETED, with the object.
  std::function<void(const std::string& type, const nlohmann::json& object)> on_event;
  // Why listing or watching failed (retried after a pause), with the HTTP
  // status when the API server answered (else 0); may be noisy, the
  // handler rate-limits its logging.
  std::function<void(long http_status, const std::string& message)> on_error;
};

struct KubeWatchTarget {
  std::string collection = "";      // e.g. "/api/v1/namespaces/x/pods"
  std::string label_selector = "";  // may be ""
  // Representations asked for (metadata only: KubeClient::kMetadataList
  // for the list, kMetadataWatch for the watch).
  const char* list_accept = "application/json";
  const char* watch_accept = "application/json";
};

void ListAndWatch(const KubeClient& client, const KubeWatchTarget& target,
                  const KubeWatchHandlers& handlers, const std::atomic<bool>& stopping);

}  // namespace mcpgw::runtime
