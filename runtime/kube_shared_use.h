#pragma once
// Several gateway replicas share one pod per instance key (the API
// server's name uniqueness is their singleflight). None of them leads, so
// each pod carries, per replica, when that replica last used it: an
// annotation `last-used.mcp-gateway.dev/<replica>` = Unix milliseconds,
// patched at most every few seconds. A replica that would stop a pod first
// reads those annotations and leaves the pod to the others when one of
// them used it within the idle window; its delete carries the pod's uid
// and resourceVersion as preconditions, so a use patched in between makes
// the delete fail instead of killing a pod in use. Pure decisions here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgw::runtime {

inline constexpr std::string_view kLastUsedAnnotationPrefix =
    "last-used.mcp-gateway.dev/";

// A replica id usable as an annotation name, unique per process: the
// hostname (a gateway pod's name in a cluster; shortened, or "gw" when it
// is not a DNS-1123 label) for people, and a random suffix, because two
// processes may share a hostname (and a restarted one is another user).
std::string ReplicaId(std::string_view hostname, std::string_view random_suffix);

// The merge patch recording that `replica` used the pod at `unix_ms`.
nlohmann::json LastUsedPatch(std::string_view replica, std::int64_t unix_ms);

// The merge patch removing `replica`'s record: it stopped using the pod
// and left it to the others (so the last of them to stop deletes it).
nlohmann::json ForgetUsePatch(std::string_view replica);

// The latest use recorded by a replica other than `replica`, if any.
std::optional<std::int64_t> LastUsedByOthers(const nlohmann::json& pod,
                                             std::string_view replica);

// The latest use by anyone, or the pod's creation when none is recorded
// (a pod starting for some replica counts as used). nullopt: neither known.
std::optional<std::int64_t> LastActivity(const nlohmann::json& pod);

// Whether another replica used the pod less than `window` before `now_ms`.
bool UsedElsewhereWithin(const nlohmann::json& pod, std::string_view replica,
                         std::int64_t now_ms, std::chrono::milliseconds window);

// How often a replica re-records its use of a pod: often enough that the
// others see it well within the idle window.
std::chrono::milliseconds UsePatchInterval(std::chrono::milliseconds idle_window);

}  // namespace mcpgw::runtime
