#include "runtime/kube_shared_use.h"

#include <algorithm>
#include <charconv>

#include "absl/time/time.h"

namespace mcpgw::runtime {

using nlohmann::json;

namespace {

std::optional<std::int64_t> ParseMs(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size() || ms < 0) {
    return std::nullopt;
  }
  return ms;
}

json Annotations(const json& pod) {
  if (!pod.is_object()) return json::object();
  const json metadata = pod.value("metadata", json::object());
  const json annotations = metadata.value("annotations", json::object());
  return annotations.is_object() ? annotations : json::object();
}

// Every recorded use, by replica; `skip` excluded.
std::optional<std::int64_t> LatestUse(const json& pod, std::string_view skip,
                                      bool skip_one) {
  std::optional<std::int64_t> latest;
  const json annotations = Annotations(pod);  // kept alive for the loop
  for (const auto& [key, value] : annotations.items()) {
    if (!key.starts_with(kLastUsedAnnotationPrefix)) continue;
    const std::string_view replica =
        std::string_view(key).substr(kLastUsedAnnotationPrefix.size());
    if (skip_one && replica == skip) continue;
    if (auto ms = ParseMs(value)) latest = std::max(latest.value_or(0), *ms);
  }
  return latest;
}

}  // namespace

std::string ReplicaId(std::string_view hostname, std::string_view random_suffix) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool label = !hostname.empty() && hostname.size() <= 63 && alnum(hostname.front()) &&
               alnum(hostname.back());
  for (char c : hostname) label = label && (alnum(c) || c == '-');
  // 63 characters at most in all: the annotation's name part.
  std::string id(label ? hostname.substr(0, 62 - random_suffix.size()) : "gw");
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id + "-" + std::string(random_suffix);
}

json LastUsedPatch(std::string_view replica, std::int64_t unix_ms) {
  return {{"metadata",
           {{"annotations",
             {{std::string(kLastUsedAnnotationPrefix) + std::string(replica),
               std::to_string(unix_ms)}}}}}};
}

json ForgetUsePatch(std::string_view replica) {
  return {{"metadata",
           {{"annotations",
             {{std::string(kLastUsedAnnotationPrefix) + std::string(replica), nullptr}}}}}};
}

std::optional<std::int64_t> LastUsedByOthers(const json& pod, std::string_view replica) {
  return LatestUse(pod, replica, /*skip_one=*/true);
}

std::optional<std::int64_t> LastActivity(const json& pod) {
  std::optional<std::int64_t> latest = LatestUse(pod, "", /*skip_one=*/false);
  if (latest) return latest;
  if (!pod.is_object()) return std::nullopt;
  const std::string stamp =
      pod.value("metadata", json::object()).value("creationTimestamp", std::string());
  absl::Time created;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, stamp, &created, &error)) return std::nullopt;
  return absl::ToUnixMillis(created);
}

bool UsedElsewhereWithin(const json& pod, std::string_view replica, std::int64_t now_ms,
                         std::chrono::milliseconds window) {
  const auto used = LastUsedByOthers(pod, replica);
  return used.has_value() && now_ms - *used < window.count();
}

std::chrono::milliseconds UsePatchInterval(std::chrono::milliseconds idle_window) {
  return std::clamp<std::chrono::milliseconds>(idle_window / 4,
                                               std::chrono::milliseconds(250),
                                               std::chrono::milliseconds(5'000));
}

}  // namespace mcpgw::runtime
