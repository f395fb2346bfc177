#include "runtime/kube_runtime.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/random_token.h"
#include "common/redaction.h"
#include "common/text.h"
#include "runtime/container_spec.h"
#include "runtime/exit_reason.h"
#include "runtime/health_probe.h"
#include "runtime/kube_access.h"
#include "runtime/kube_shared_use.h"
#include "runtime/kube_watch.h"
#include "runtime/output_buffer.h"

namespace mcpgw::runtime {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kCallTimeout{15'000};
constexpr std::size_t kTokenBytes = 32;
constexpr int kLogTailLines = 50;
constexpr std::chrono::milliseconds kPoll{250};

struct PodState;

}  // namespace

struct KubeRuntime::Shared {
  std::shared_ptr<const KubeClient> client;
  KubeRuntimeOptions options;
  std::string pods_path;
  std::string secrets_path;

  Mutex mutex;
  // By pod name.
  std::multimap<std::string, std::weak_ptr<PodState>> pods ABSL_GUARDED_BY(mutex);
  // Every pod of the gateway id, as watched.
  std::map<std::string, json> known ABSL_GUARDED_BY(mutex);
  std::atomic<bool> stopping{false};
  std::thread watcher;

  // Uses to record on pods (name -> Unix ms), written by the annotator.
  Mutex use_mutex;
  CondVar use_changed;  // pending_use grew or stopping was set
  std::map<std::string, std::int64_t> pending_use ABSL_GUARDED_BY(use_mutex);
  std::thread annotator;
  std::thread sweeper;

  std::string PodPath(const std::string& name) const {
    return text::Cat(pods_path, "/", name);
  }
  std::string SecretPath(const std::string& name) const {
    return text::Cat(secrets_path, "/", name);
  }
  void Dispatch(const std::string& type, const json& pod);
  void MarkMissing(const std::vector<std::string>& present,
                   SteadyClock::time_point list_started);
  void WatchLoop();
  void AnnotateLoop();
  void SweepLoop();
  // Waits up to `timeout`; false when the runtime is stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds timeout);
};

namespace {

struct PodState {
  std::shared_ptr<KubeRuntime::Shared> shared;
  std::string name;
  std::string secret_name;  // set before the instance's thread starts
  std::string instance_id;
  std::string image;
  // Set before the instance's thread starts, except the host: the thread
  // writes that under `mutex` on Ready, before OnReady (the pool reads
  // endpoint() only after OnReady).
  Endpoint endpoint;
  common::Redactor redactor;
  OutputBuffer output;
  std::shared_ptr<InstanceEvents> events;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> exited{false};
  std::atomic<std::int64_t> use_recorded_ms{0};  // last use sent to the annotator

  Mutex mutex;
  CondVar changed;  // the watch saw the pod, or a stop was asked
  std::string uid ABSL_GUARDED_BY(mutex);
  SteadyClock::time_point uid_known_at ABSL_GUARDED_BY(mutex){};
  json latest ABSL_GUARDED_BY(mutex);  // last object seen
  std::string deleted_uid ABSL_GUARDED_BY(mutex);  // a DELETED for this uid

  explicit PodState(const common::Redactor& r) : redactor(r), output(r) {}
};

std::string Annotated(const std::string& name, const std::string& reason) {
  return text::Cat("pod ", name, ": ", reason);
}

void Register(const std::shared_ptr<PodState>& state) {
  MutexLock lock(state->shared->mutex);
  state->shared->pods.emplace(state->name, state);
}

void Unregister(PodState& state) {
  MutexLock lock(state.shared->mutex);
  auto [begin, end] = state.shared->pods.equal_range(state.name);
  for (auto it = begin; it != end;) {
    auto locked = it->second.lock();
    if (!locked || locked.get() == &state) {
      it = state.shared->pods.erase(it);
    } else {
      ++it;
    }
  }
}

void Finish(PodState& state, const std::string& reason) {
  if (state.exited.exchange(true)) return;
  Unregister(state);
  state.events->OnExit(state.redactor.Apply(reason));
}

// DELETE with the uid (never another incarnation's pod) and, when given,
// the resourceVersion (never a pod changed since it was read: another
// replica's use) as preconditions. Returns the HTTP status, -1 when the API
// server could not be reached.
long DeletePod(const KubeRuntime::Shared& shared, const std::string& name,
               const std::string& uid, int grace_seconds,
               const std::string& resource_version = "") {
  json options = {{"apiVersion", "v1"},
                  {"kind", "DeleteOptions"},
                  {"gracePeriodSeconds", grace_seconds}};
  if (!uid.empty()) options["preconditions"] = {{"uid", uid}};
  if (!resource_version.empty()) {
    options["preconditions"]["resourceVersion"] = resource_version;
  }
  auto response = shared.client->Call("DELETE", shared.PodPath(name),
                                      options.dump(), kCallTimeout);
  if (!response.ok()) {
    spdlog::warn("{}", std::string(response.status().message()));
    return -1;
  }
  if (response->status >= 300 && response->status != 404 &&
      response->status != 409) {
    spdlog::warn("{}", DescribeApiError(response->status, response->body,
                                        text::Cat("delete pod ", name)));
  }
  return response->status;
}

std::int64_t UnixMillisNow() { return absl::ToUnixMillis(absl::Now()); }

// Deletes the pod unless another replica used it within the idle window
// (then it is theirs to stop). Returns "" when it was deleted (or is gone),
// else why it was left.
std::string DeleteUnlessUsedElsewhere(const KubeRuntime::Shared& shared,
                                      const std::string& name, const std::string& uid,
                                      int grace_seconds) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto got = shared.client->Call("GET", shared.PodPath(name), std::nullopt, kCallTimeout);
    if (!got.ok() || got->status != 200) {
      if (got.ok() && got->status == 404) return "";
      DeletePod(shared, name, uid, grace_seconds);  // cannot tell: as before
      return "";
    }
    const json pod = json::parse(got->body, nullptr, false);
    const json metadata = pod.is_object() ? pod.value("metadata", json::object())
                                          : json::object();
    if (metadata.value("uid", std::string()) != uid) return "";  // not ours any more
    const std::int64_t now = UnixMillisNow();
    if (UsedElsewhereWithin(pod, shared.options.replica_id, now,
                            shared.options.idle_window)) {
      // Ours no longer: the last replica to stop using it deletes it.
      (void)shared.client->Call("PATCH", shared.PodPath(name),
                                ForgetUsePatch(shared.options.replica_id).dump(),
                                kCallTimeout, KubeClient::kMergePatchContent);
      return text::Cat("left running: another gateway replica used it ",
                       (now - *LastUsedByOthers(pod, shared.options.replica_id)) / 1000,
                       " s ago");
    }
    const long status = DeletePod(shared, name, uid, grace_seconds,
                                  metadata.value("resourceVersion", std::string()));
    if (status != 409) return "";
    // Changed since read (a replica's use recorded): look again.
  }
  return "left running: it kept changing while it was being deleted";
}

absl::StatusOr<std::string> FetchLogs(const KubeRuntime::Shared& shared,
                                      const std::string& name) {
  auto response = shared.client->Call(
      "GET", text::Cat(shared.PodPath(name), "/log?tailLines=", kLogTailLines),
      std::nullopt, kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(DescribeApiError(
        response->status, response->body, text::Cat("logs of pod ", name)));
  }
  return std::move(response->body);
}

// The pod failed: DBHub's last words, the pod deleted, the reason out.
void Fail(PodState& state, const std::string& uid, const PodCondition& condition) {
  if (auto logs = FetchLogs(*state.shared, state.name); logs.ok()) {
    state.output.Append(*logs);
  }
  state.output.Flush();
  std::string reason;
  if (condition.exit_code) {
    reason = SummarizeExit(state.output.Lines(), (*condition.exit_code & 0xff) << 8);
    if (condition.reason.find("out of memory") != std::string::npos) {
      reason = condition.reason;
    }
  } else {
    reason = condition.reason;
    const auto lines = state.output.Lines();
    if (!lines.empty()) reason += text::Cat("; DBHub: ", lines.back());
  }
  spdlog::warn("instance {}: pod {} failed: {}", state.instance_id, state.name,
               state.redactor.Apply(reason));
  DeletePod(*state.shared, state.name, uid, 0);
  Finish(state, Annotated(state.name, reason));
}

// Makes the pod a dependent of its just-created Secret (`secret_body`, the
// API's answer), so that deleting the Secret removes the pod as deleting
// the pod removes the Secret. Returns why it failed, or "".
std::string TiePodToSecret(const KubeRuntime::Shared& shared, const PodState& state,
                           const std::string& secret_body) {
  const json secret = json::parse(secret_body, nullptr, false);
  const std::string secret_uid =
      secret.is_object()
          ? secret.value("metadata", json::object()).value("uid", std::string())
          : std::string();
  if (secret_uid.empty()) {
    return Annotated(state.name, "the API server's answer to creating its Secret has no uid");
  }
  auto patched = shared.client->Call(
      "PATCH", shared.PodPath(state.name),
      PodOwnedBySecretPatch(state.secret_name, secret_uid).dump(), kCallTimeout,
      KubeClient::kMergePatchContent);
  if (!patched.ok()) return std::string(patched.status().message());
  if (patched->status != 200) {
    return DescribeApiError(patched->status, patched->body,
                            text::Cat("patch pods in namespace ",
                                      shared.options.namespace_name));
  }
  return "";
}

// Creates the pod (or meets the one that exists: adopts it) and its Secret.
// Returns false when it finished the instance.
bool CreatePod(PodState& state, const KubePodInput& input, std::string dsn,
               std::vector<std::string> secret_env, std::string config,
               SteadyClock::time_point deadline) {
  auto& shared = *state.shared;
  const std::string body = BuildPod(input).dump();
  bool adopted = false;
  std::string uid;
  json existing;
  auto wipe = [&] {
    std::fill(dsn.begin(), dsn.end(), '\0');
    for (auto& entry : secret_env) std::fill(entry.begin(), entry.end(), '\0');
  };
  for (;;) {
    auto created = shared.client->Call("POST", shared.pods_path, body, kCallTimeout);
    if (!created.ok()) {
      wipe();
      Finish(state, std::string(created.status().message()));
      return false;
    }
    if (created->status == 201 || created->status == 200) {
      const json pod = json::parse(created->body, nullptr, false);
      uid = ClassifyPod(pod).uid;
      break;
    }
    if (created->status != 409) {
      wipe();
      Finish(state, DescribeApiError(created->status, created->body,
                                     text::Cat("create pods in namespace ",
                                               shared.options.namespace_name)));
      return false;
    }
    // AlreadyExists: another gateway (or an earlier run) made it, or its
    // previous incarnation is still terminating.
    auto got = shared.client->Call("GET", shared.PodPath(state.name), std::nullopt,
                                   kCallTimeout);
    if (got.ok() && got->status == 200) {
      existing = json::parse(got->body, nullptr, false);
      const PodCondition condition = ClassifyPod(existing);
      if (!condition.terminating && condition.kind != PodCondition::Kind::kFailed) {
        uid = condition.uid;
        adopted = true;
        state.secret_name = PodSecretName(existing);
        break;
      }
      if (!condition.terminating) {
        // A failed leftover: out of the way.
        DeletePod(shared, state.name, condition.uid, 0);
      }
    }
    if (SteadyClock::now() > deadline || state.stop_requested.load()) {
      wipe();
      Finish(state, Annotated(state.name,
                              "an earlier pod of that name did not go away"));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  {
    MutexLock lock(state.mutex);
    state.uid = uid;
    state.uid_known_at = SteadyClock::now();
    if (adopted && state.latest.is_null()) state.latest = existing;
  }
  if (adopted) {
    wipe();
    spdlog::info("instance {}: pod {} exists already (another gateway or an "
                 "earlier run made it): adopting it",
                 state.instance_id, state.name);
    // Its token is in its Secret, which its maker may not have written yet.
    for (;;) {
      auto got = shared.client->Call("GET", shared.SecretPath(state.secret_name),
                                     std::nullopt, kCallTimeout);
      if (got.ok() && got->status == 200) {
        const json secret = json::parse(got->body, nullptr, false);
        bool owned = false;
        for (const auto& owner :
             secret.value("metadata", json::object())
                 .value("ownerReferences", json::array())) {
          if (owner.value("uid", "") == uid) owned = true;
        }
        const std::string token =
            secret.value("data", json::object()).value(kube_secret_key::kToken, "");
        std::string decoded;
        if (owned && absl::Base64Unescape(token, &decoded) && !decoded.empty()) {
          state.endpoint.bearer_token = std::move(decoded);
          return true;
        }
      } else if (got.ok() && got->status != 404) {
        Finish(state, DescribeApiError(got->status, got->body,
                                       text::Cat("get secret ", state.secret_name)));
        return false;
      }
      if (SteadyClock::now() > deadline || state.stop_requested.load()) {
        Finish(state, Annotated(state.name, "its Secret could not be read"));
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  for (;;) {
    std::string secret =
        BuildSecret(input, uid, dsn, state.endpoint.bearer_token, secret_env, config)
            .dump();
    auto created = shared.client->Call("POST", shared.secrets_path, secret, kCallTimeout);
    std::fill(secret.begin(), secret.end(), '\0');
    if (created.ok() && created->status == 409 && SteadyClock::now() < deadline) {
      // The Secret of an earlier incarnation, not collected yet.
      (void)shared.client->Call("DELETE", shared.SecretPath(state.secret_name),
                                std::nullopt, kCallTimeout);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    wipe();
    std::string failure;
    if (!created.ok()) {
      failure = std::string(created.status().message());
    } else if (created->status != 201 && created->status != 200) {
      failure = DescribeApiError(created->status, created->body,
                                 text::Cat("create secrets in namespace ",
                                           shared.options.namespace_name));
    }
    if (failure.empty()) failure = TiePodToSecret(shared, state, created->body);
    if (!failure.empty()) {
      DeletePod(shared, state.name, uid, 0);
      Finish(state, failure);
      return false;
    }
    return true;
  }
}

// One instance's life: its pod created (or adopted), Ready, failed or gone.
void Run(std::shared_ptr<PodState> state, std::optional<KubePodInput> input,
         std::string dsn, std::vector<std::string> secret_env, std::string config) {
  auto& shared = *state->shared;
  const auto started = SteadyClock::now();
  const auto deadline = started + shared.options.start_timeout;
  if (input) {
    if (!CreatePod(*state, *input, std::move(dsn), std::move(secret_env),
                   std::move(config), deadline)) {
      return;
    }
  }
  const auto secret_ready_at = SteadyClock::now();
  bool ready = false;
  bool delete_sent = false;
  SteadyClock::time_point stop_deadline{};
  std::string uid;
  {
    MutexLock lock(state->mutex);
    uid = state->uid;
  }
  for (;;) {
    json pod;
    bool gone = false;
    {
      MutexLock lock(state->mutex);
      state->changed.WaitFor(state->mutex, kPoll);
      gone = !state->deleted_uid.empty() && state->deleted_uid == uid;
      if (state->latest.is_object() &&
          ClassifyPod(state->latest).uid == uid) {
        pod = state->latest;
      }
    }
    if (state->stop_requested.load()) {
      if (!delete_sent) {
        if (const std::string left = DeleteUnlessUsedElsewhere(
                shared, state->name, uid, shared.options.termination_grace_seconds);
            !left.empty()) {
          spdlog::info("instance {}: pod {} {}", state->instance_id, state->name, left);
          Finish(*state, Annotated(state->name, left));
          return;
        }
        delete_sent = true;
        stop_deadline = SteadyClock::now() +
                        std::chrono::seconds(shared.options.termination_grace_seconds + 30);
      }
      if (gone || SteadyClock::now() > stop_deadline) {
        Finish(*state, "stopped by the gateway");
        return;
      }
      continue;
    }
    if (gone) {
      Finish(*state, Annotated(state->name, ready ? "it was deleted"
                                                  : "it was deleted before it was Ready"));
      return;
    }
    if (!pod.is_null()) {
      const PodCondition condition = ClassifyPod(pod);
      if (condition.terminating) {
        Finish(*state, Annotated(state->name, "it is being deleted"));
        return;
      }
      if (condition.kind == PodCondition::Kind::kFailed &&
          !(condition.config_error &&
            SteadyClock::now() - secret_ready_at < shared.options.config_error_grace)) {
        Fail(*state, uid, condition);
        return;
      }
      if (condition.kind == PodCondition::Kind::kReady && !ready) {
        {
          MutexLock lock(state->mutex);
          state->endpoint.host = condition.pod_ip;
        }
        ready = true;
        spdlog::info("instance {}: pod {} Ready at {}:{} after {} ms",
                     state->instance_id, state->name, condition.pod_ip, kPodPort,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         SteadyClock::now() - started).count());
        state->events->OnReady();
      }
    }
    if (!ready && SteadyClock::now() > deadline) {
      PodCondition condition;
      condition.reason = text::Cat("not Ready within ",
                                   shared.options.start_timeout.count(), " ms");
      if (!pod.is_null()) {
        const PodCondition now = ClassifyPod(pod);
        if (!now.reason.empty()) condition.reason += text::Cat(" (", now.reason, ")");
      }
      Fail(*state, uid, condition);
      return;
    }
  }
}

class PodInstance final : public RunningInstance {
 public:
  explicit PodInstance(std::shared_ptr<PodState> state) : state_(std::move(state)) {}
  ~PodInstance() override { Stop(); }

  const Endpoint& endpoint() const override { return state_->endpoint; }
  std::optional<int> pid() const override { return std::nullopt; }
  std::optional<ContainerInfo> container() const override {
    return ContainerInfo{state_->name, state_->image};
  }
  std::map<std::string, std::string> Details() const override {
    return {{"pod", state_->name},
            {"namespace", state_->shared->options.namespace_name}};
  }
  std::string RecentOutput() const override {
    if (state_->exited.load()) return state_->output.Text();
    auto logs = FetchLogs(*state_->shared, state_->name);
    if (!logs.ok()) return state_->output.Text();
    return OutputBuffer::Redacted(state_->redactor, *logs);
  }
  void Stop() override {
    if (state_->exited.load() || state_->stop_requested.exchange(true)) return;
    state_->changed.NotifyAll();
  }
  // Cheap (called under the pool's lock): at most one use per interval is
  // handed to the annotator thread, which patches the pod.
  void NoteUse() override {
    auto& shared = *state_->shared;
    const std::int64_t now = UnixMillisNow();
    const std::int64_t interval = UsePatchInterval(shared.options.idle_window).count();
    std::int64_t recorded = state_->use_recorded_ms.load();
    if (now - recorded < interval ||
        !state_->use_recorded_ms.compare_exchange_strong(recorded, now)) {
      return;
    }
    {
      MutexLock lock(shared.use_mutex);
      shared.pending_use[state_->name] = now;
    }
    shared.use_changed.NotifyAll();  // the sweeper sleeps on it too
  }

 private:
  std::shared_ptr<PodState> state_;
};

std::shared_ptr<PodState> NewState(const std::shared_ptr<KubeRuntime::Shared>& shared,
                                   const std::string& name, const LaunchSpec& spec,
                                   std::shared_ptr<InstanceEvents> events) {
  auto state = std::make_shared<PodState>(common::Redactor(spec.secrets));
  state->shared = shared;
  state->name = name;
  state->instance_id = spec.instance_id;
  state->image = shared->options.image;
  state->endpoint.port = kPodPort;
  state->events = std::move(events);
  return state;
}

}  // namespace

void KubeRuntime::Shared::Dispatch(const std::string& type, const json& pod) {
  const std::string name = ObjectName(pod);
  if (name.empty()) return;
  std::vector<std::shared_ptr<PodState>> targets;
  {
    MutexLock lock(mutex);
    if (type == "DELETED") {
      known.erase(name);
    } else {
      known[name] = pod;
    }
    auto [begin, end] = pods.equal_range(name);
    for (auto it = begin; it != end; ++it) {
      if (auto state = it->second.lock()) targets.push_back(std::move(state));
    }
  }
  for (const auto& state : targets) {
    {
      MutexLock lock(state->mutex);
      if (type == "DELETED") {
        state->deleted_uid = ClassifyPod(pod).uid;
      } else {
        state->latest = pod;
      }
    }
    state->changed.NotifyAll();
  }
}

void KubeRuntime::Shared::MarkMissing(const std::vector<std::string>& present,
                                      SteadyClock::time_point list_started) {
  std::vector<std::shared_ptr<PodState>> targets;
  {
    MutexLock lock(mutex);
    for (auto it = known.begin(); it != known.end();) {
      const bool listed =
          std::find(present.begin(), present.end(), it->first) != present.end();
      it = listed ? std::next(it) : known.erase(it);
    }
    for (const auto& [name, weak] : pods) {
      if (std::find(present.begin(), present.end(), name) != present.end()) continue;
      if (auto state = weak.lock()) targets.push_back(std::move(state));
    }
  }
  for (const auto& state : targets) {
    {
      MutexLock lock(state->mutex);
      if (state->uid.empty() || state->uid_known_at >= list_started) continue;
      state->deleted_uid = state->uid;
    }
    state->changed.NotifyAll();
  }
}

void KubeRuntime::Shared::WatchLoop() {
  auto last_complaint = SteadyClock::time_point{};
  KubeWatchHandlers handlers;
  handlers.on_list = [this](const json& items, SteadyClock::time_point list_started) {
    std::vector<std::string> present;
    for (const auto& item : items) {
      present.push_back(ObjectName(item));
      Dispatch("MODIFIED", item);
    }
    MarkMissing(present, list_started);
  };
  handlers.on_event = [this](const std::string& type, const json& pod) {
    Dispatch(type, pod);
  };
  handlers.on_error = [&](long, const std::string& message) {
    if (SteadyClock::now() - last_complaint > std::chrono::seconds(30)) {
      spdlog::error("watching pods: {}", message);
      last_complaint = SteadyClock::now();
    }
  };
  ListAndWatch(*client,
               {.collection = pods_path, .label_selector = GatewaySelector(options.gateway_id)},
               handlers, stopping);
}

KubeRuntime::KubeRuntime(std::shared_ptr<const KubeClient> client,
                         KubeRuntimeOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->client = std::move(client);
  shared_->options = std::move(options);
  shared_->pods_path =
      text::Cat("/api/v1/namespaces/", shared_->options.namespace_name, "/pods");
  shared_->secrets_path =
      text::Cat("/api/v1/namespaces/", shared_->options.namespace_name, "/secrets");
  if (shared_->options.replica_id.empty()) {
    shared_->options.replica_id = text::Cat("gw-", common::RandomHex(6));
  }
  shared_->watcher = std::thread([shared = shared_] { shared->WatchLoop(); });
  shared_->annotator = std::thread([shared = shared_] { shared->AnnotateLoop(); });
  shared_->sweeper = std::thread([shared = shared_] { shared->SweepLoop(); });
}

KubeRuntime::~KubeRuntime() {
  {
    // Set under the lock the annotator's wait checks it under: set between
    // its check and its sleep, the notification would be lost and the join
    // below would wait for ever (the annotator waits without a timeout).
    MutexLock lock(shared_->use_mutex);
    shared_->stopping.store(true);
  }
  shared_->use_changed.NotifyAll();
  if (shared_->watcher.joinable()) shared_->watcher.join();
  if (shared_->annotator.joinable()) shared_->annotator.join();
  if (shared_->sweeper.joinable()) shared_->sweeper.join();
}

bool KubeRuntime::Shared::SleepUnlessStopping(std::chrono::milliseconds timeout) {
  MutexLock lock(use_mutex);
  use_changed.WaitFor(use_mutex, timeout, [this] { return stopping.load(); });
  return !stopping.load();
}

void KubeRuntime::Shared::AnnotateLoop() {
  for (;;) {
    std::map<std::string, std::int64_t> batch;
    {
      MutexLock lock(use_mutex);
      use_changed.Wait(use_mutex, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(use_mutex) {
        return stopping.load() || !pending_use.empty();
      });
      if (stopping.load()) return;
      batch.swap(pending_use);
    }
    for (const auto& [name, ms] : batch) {
      auto patched = client->Call("PATCH", PodPath(name),
                                  LastUsedPatch(options.replica_id, ms).dump(),
                                  kCallTimeout, KubeClient::kMergePatchContent);
      if (!patched.ok()) {
        spdlog::warn("recording the use of pod {}: {}", name,
                     std::string(patched.status().message()));
      } else if (patched->status != 200 && patched->status != 404) {
        spdlog::warn("{}", DescribeApiError(patched->status, patched->body,
                                            text::Cat("patch pod ", name)));
      }
    }
  }
}

// The reaper without a leader: a pod of this gateway id that no replica
// runs here and none used within the idle window (plus a patch interval of
// slack) is deleted, preconditioned on the version that showed it unused.
void KubeRuntime::Shared::SweepLoop() {
  const auto window = options.idle_window;
  const auto slack = UsePatchInterval(window) * 2;
  const auto period = std::clamp<std::chrono::milliseconds>(
      window / 2, std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000));
  while (SleepUnlessStopping(period)) {
    std::vector<json> candidates;
    {
      MutexLock lock(mutex);
      for (const auto& [name, pod] : known) {
        if (pods.count(name) != 0) continue;  // ours: our pool reaps it
        candidates.push_back(pod);
      }
    }
    const std::int64_t now = UnixMillisNow();
    for (const auto& pod : candidates) {
      const PodCondition condition = ClassifyPod(pod);
      if (condition.terminating) continue;
      const auto activity = LastActivity(pod);
      if (!activity || now - *activity < (window + slack).count()) continue;
      const json metadata = pod.value("metadata", json::object());
      const std::string name = metadata.value("name", std::string());
      {
        MutexLock lock(mutex);
        if (pods.count(name) != 0) continue;  // adopted meanwhile
      }
      spdlog::info("deleting pod {}: no gateway replica used it for {} s", name,
                   (now - *activity) / 1000);
      DeletePod(*this, name, condition.uid, options.termination_grace_seconds,
                metadata.value("resourceVersion", std::string()));
    }
  }
}

absl::StatusOr<std::unique_ptr<RunningInstance>> KubeRuntime::Launch(
    const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events) {
  const std::string name =
      PodName(spec.instance_key.empty() ? spec.instance_id : spec.instance_key);
  auto state = NewState(shared_, name, spec, std::move(events));
  state->endpoint.bearer_token = common::RandomHex(kTokenBytes);
  KubePodInput input;
  input.name = name;
  input.secret_name = text::Cat(name, "-", common::RandomHex(4));
  state->secret_name = input.secret_name;
  input.namespace_name = shared_->options.namespace_name;
  input.image = shared_->options.image;
  input.pull_policy = shared_->options.pull_policy;
  input.gateway_id = shared_->options.gateway_id;
  input.key_prefix = spec.key_prefix;
  input.instance_id = spec.instance_id;
  input.created_at = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  input.has_dsn = !spec.dsn.empty();
  for (const auto& entry : spec.secret_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError("a secret_env entry is not NAME=value");
    }
    input.secret_env_names.push_back(entry.substr(0, eq));
  }
  input.has_config = !spec.dbhub_config.empty();
  input.secret_key_env = spec.secret_key_env;
  input.termination_grace_seconds = shared_->options.termination_grace_seconds;
  input.resources = shared_->options.resources;
  input.volumes = shared_->options.volumes;
  spdlog::info("instance {}: creating pod {} in namespace {} from {} for {}{}",
               spec.instance_id, name, input.namespace_name, input.image,
               spec.redacted_target, input.has_config ? " (with a DBHub config)" : "");
  Register(state);
  std::thread(Run, state, std::optional<KubePodInput>(std::move(input)), spec.dsn,
              spec.secret_env, spec.dbhub_config)
      .detach();
  return std::make_unique<PodInstance>(std::move(state));
}

absl::Status KubeRuntime::CheckAccess() const {
  static constexpr KubePermission kNeeds[] = {
      {"create", "", "pods", ""},       {"get", "", "pods", ""},
      {"list", "", "pods", ""},         {"watch", "", "pods", ""},
      {"delete", "", "pods", ""},       {"patch", "", "pods", ""},
      {"get", "", "pods", "log"},
      {"create", "", "secrets", ""},    {"get", "", "secrets", ""},
      {"delete", "", "secrets", ""},    {"list", "", "secrets", ""},
      // Sessions ended with DELETE, shared by the replicas.
      {"create", "", "configmaps", ""}, {"list", "", "configmaps", ""},
      {"watch", "", "configmaps", ""},  {"delete", "", "configmaps", ""},
  };
  return CheckKubePermissions(
      *shared_->client, shared_->options.namespace_name, kNeeds,
      "bind it to the Role in deploy/kubernetes/role.yaml", kCallTimeout);
}

absl::StatusOr<std::vector<LeftoverPod>> KubeRuntime::FindLeftovers() const {
  auto listed = shared_->client->Call(
      "GET",
      text::Cat(shared_->pods_path, "?labelSelector=",
                QueryEscape(GatewaySelector(shared_->options.gateway_id))),
      std::nullopt, kCallTimeout);
  if (!listed.ok()) return listed.status();
  if (listed->status != 200) {
    return absl::UnavailableError(DescribeApiError(
        listed->status, listed->body,
        text::Cat("list pods in namespace ", shared_->options.namespace_name)));
  }
  const json list = json::parse(listed->body, nullptr, false);
  std::vector<LeftoverPod> out;
  for (const auto& item : list.value("items", json::array())) {
    LeftoverPod leftover;
    leftover.name = ObjectName(item);
    const PodCondition condition = ClassifyPod(item);
    leftover.uid = condition.uid;
    leftover.ready = condition.kind == PodCondition::Kind::kReady;
    leftover.failed =
        condition.kind == PodCondition::Kind::kFailed || condition.terminating;
    absl::Time created;
    std::string parse_error;
    const std::string stamp = item.value("metadata", json::object())
                                  .value("creationTimestamp", std::string());
    leftover.young = absl::ParseTime(absl::RFC3339_full, stamp, &created,
                                     &parse_error) &&
                     absl::Now() - created <
                         absl::FromChrono(shared_->options.start_timeout);
    leftover.pod_json = item.dump();
    leftover.used_elsewhere = UsedElsewhereWithin(
        item, shared_->options.replica_id, UnixMillisNow(), shared_->options.idle_window);
    const json labels =
        item.value("metadata", json::object()).value("labels", json::object());
    if (labels.contains(kube_label::kDbhubConfig)) {
      leftover.not_adoptable =
          "it was started with a DBHub config (tenant, --readonly or "
          "--max-rows), which is not recomputed from a pod";
    } else if (!leftover.failed) {
      auto got = shared_->client->Call("GET", shared_->SecretPath(PodSecretName(item)),
                                       std::nullopt, kCallTimeout);
      const json secret = got.ok() && got->status == 200
                              ? json::parse(got->body, nullptr, false)
                              : json();
      const json data = secret.is_object() ? secret.value("data", json::object())
                                           : json::object();
      std::string dsn, token;
      if (!absl::Base64Unescape(data.value(kube_secret_key::kDsn, ""), &dsn) ||
          !absl::Base64Unescape(data.value(kube_secret_key::kToken, ""), &token) ||
          dsn.empty() || token.empty()) {
        leftover.not_adoptable = "its Secret is missing or incomplete";
      } else {
        leftover.dsn = std::move(dsn);
        leftover.endpoint = Endpoint{condition.pod_ip, kPodPort, std::move(token)};
      }
    }
    out.push_back(std::move(leftover));
  }
  return out;
}

std::unique_ptr<RunningInstance> KubeRuntime::Attach(
    const LeftoverPod& leftover, const LaunchSpec& spec,
    std::shared_ptr<InstanceEvents> events) {
  auto state = NewState(shared_, leftover.name, spec, std::move(events));
  state->endpoint = leftover.endpoint;
  state->endpoint.host.clear();  // set again on Ready
  {
    // No other thread has the state yet: the lock is for the analysis.
    MutexLock lock(state->mutex);
    state->uid = leftover.uid;
    state->uid_known_at = SteadyClock::now();
    state->latest = json::parse(leftover.pod_json, nullptr, false);
  }
  Register(state);
  std::thread(Run, state, std::nullopt, std::string(), std::vector<std::string>(),
              std::string())
      .detach();
  return std::make_unique<PodInstance>(std::move(state));
}

absl::Status KubeRuntime::Remove(const std::string& pod_name) const {
  json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"},
                  {"gracePeriodSeconds", 0}};
  auto response = shared_->client->Call("DELETE", shared_->PodPath(pod_name),
                                        options.dump(), kCallTimeout);
  if (!response.ok()) return response.status();
  if (response->status >= 300 && response->status != 404) {
    return absl::UnavailableError(DescribeApiError(
        response->status, response->body, text::Cat("delete pod ", pod_name)));
  }
  return absl::OkStatus();
}

std::shared_ptr<const KubeClient> KubeRuntime::client() const { return shared_->client; }

absl::StatusOr<KubeRuntime::Removed> KubeRuntime::RemoveEverything() const {
  Removed removed;
  const std::string selector =
      text::Cat("?labelSelector=", QueryEscape(GatewaySelector(shared_->options.gateway_id)));
  const std::string configmaps_path =
      text::Cat("/api/v1/namespaces/", shared_->options.namespace_name, "/configmaps");
  for (const auto& [path, count] :
       {std::pair{shared_->pods_path, &removed.pods},
        std::pair{shared_->secrets_path, &removed.secrets},
        std::pair{configmaps_path, &removed.ended_sessions}}) {
    auto listed = shared_->client->Call("GET", path + selector, std::nullopt, kCallTimeout);
    if (!listed.ok()) return listed.status();
    if (listed->status != 200) {
      return absl::UnavailableError(
          DescribeApiError(listed->status, listed->body, text::Cat("list ", path)));
    }
    const json list = json::parse(listed->body, nullptr, false);
    for (const auto& item : list.value("items", json::array())) {
      const std::string name = ObjectName(item);
      const json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"},
                            {"gracePeriodSeconds", 0}};
      auto deleted = shared_->client->Call("DELETE", text::Cat(path, "/", name),
                                           options.dump(), kCallTimeout);
      if (!deleted.ok()) return deleted.status();
      if (deleted->status == 404) continue;  // collected with its owner meanwhile
      if (deleted->status >= 300) {
        return absl::UnavailableError(DescribeApiError(
            deleted->status, deleted->body, text::Cat("delete ", path, "/", name)));
      }
      ++*count;
    }
  }
  return removed;
}

absl::StatusOr<AdoptionResult> AdoptOrRemoveLeftoverPods(
    KubeRuntime& runtime, InstancePool& pool, const ResolveLeftoverDsn& resolve) {
  auto leftovers = runtime.FindLeftovers();
  if (!leftovers.ok()) return leftovers.status();
  AdoptionResult result;
  for (auto& leftover : *leftovers) {
    std::string why_not;
    std::optional<AdoptionTarget> target;
    if (leftover.young && !leftover.failed && !leftover.ready) {
      // Another gateway sharing this secret may be starting it right now:
      // left alone (a request for its DSN meets it and adopts it).
      spdlog::info("pod {}: still starting, left alone", leftover.name);
      continue;
    }
    if (!leftover.not_adoptable.empty() && leftover.used_elsewhere && !leftover.failed) {
      // Another replica serves it (a tenant's pod): theirs to stop.
      spdlog::info("pod {}: in use by another gateway replica, left alone", leftover.name);
      continue;
    }
    if (!leftover.not_adoptable.empty()) {
      why_not = leftover.not_adoptable;
    } else if (leftover.failed) {
      why_not = "it failed or is being deleted";
    } else if (target = resolve(leftover.dsn); !target) {
      why_not = "its DSN is not accepted any more";
    } else if (PodName(target->key) != leftover.name) {
      why_not = "its name does not match its DSN's key";
    } else {
      AcquireRequest request{target->key, "", target->redacted_target,
                             target->secrets};
      auto adopted = pool.Adopt(
          std::move(request),
          [&](const LaunchSpec& spec, std::shared_ptr<InstanceEvents> events)
              -> absl::StatusOr<std::unique_ptr<RunningInstance>> {
            return runtime.Attach(leftover, spec, std::move(events));
          });
      if (adopted.ok()) {
        spdlog::info("instance {}: adopted pod {} left by an earlier run, for {}",
                     *adopted, leftover.name, target->redacted_target);
        ++result.adopted;
        std::fill(leftover.dsn.begin(), leftover.dsn.end(), '\0');
        continue;
      }
      why_not = std::string(adopted.status().message());
    }
    std::fill(leftover.dsn.begin(), leftover.dsn.end(), '\0');
    spdlog::info("deleting pod {} left by an earlier run: {}", leftover.name, why_not);
    if (auto removed = runtime.Remove(leftover.name); !removed.ok()) {
      spdlog::warn("{}", std::string(removed.message()));
    } else {
      ++result.removed;
    }
  }
  return result;
}

}  // namespace mcpgw::runtime
