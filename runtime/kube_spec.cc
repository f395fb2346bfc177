#include "runtime/kube_spec.h"

#include <cctype>

#include "absl/strings/escaping.h"
#include "common/text.h"

namespace mcpgw::runtime {
namespace {

using nlohmann::json;

// Waiting reasons that do not go away by themselves: the client hears them
// at once rather than after the start timeout.
bool IsFatalWaitingReason(std::string_view reason) {
  return reason == "ErrImageNeverPull" || reason == "ImagePullBackOff" ||
         reason == "ErrImagePull" || reason == "InvalidImageName" ||
         reason == "CrashLoopBackOff" || reason == "CreateContainerError" ||
         reason == "RunContainerError" ||
         reason == "CreateContainerConfigError";
}

std::string StringAt(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string PodName(std::string_view instance_key) {
  constexpr std::size_t kPrefix = 6;  // "mcpgw-"
  std::string name("mcpgw-");
  for (const char c : instance_key) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      name.push_back(lower);
    }
    if (name.size() == kPrefix + 40) break;
  }
  if (name.size() == kPrefix) name.push_back('0');
  return name;
}

bool IsDns1123Label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && i != 0 && i + 1 != name.size())) return false;
  }
  return true;
}

bool IsQuantity(std::string_view text) {
  std::size_t i = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  const std::string_view suffix = text.substr(i);
  for (const char* allowed :
       {"", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"}) {
    if (suffix == allowed) return true;
  }
  return false;
}

std::string ObjectName(const json& object) {
  return object.value("metadata", json::object()).value("name", std::string());
}

std::string PodSecretName(const json& pod) {
  const json metadata = pod.is_object() ? pod.value("metadata", json::object())
                                        : json::object();
  const std::string annotated =
      StringAt(metadata.value("annotations", json::object()), kube_label::kSecretName);
  return annotated.empty() ? StringAt(metadata, "name") : annotated;
}

json BuildPod(const KubePodInput& input) {
  const std::string secret_name =
      input.secret_name.empty() ? input.name : input.secret_name;
  const std::string port = std::to_string(kPodPort);
  json env = json::array({
      {{"name", "TRANSPORT"}, {"value", "http"}},
      {{"name", "PORT"}, {"value", port}},
      {{"name", "DBHUB_HOST"}, {"value", "0.0.0.0"}},
      {{"name", "HOME"}, {"value", "/tmp"}},
      {{"name", "NODE_ENV"}, {"value", "production"}},
  });
  auto from_secret = [&](const std::string& name) {
    return json{{"name", name},
                {"valueFrom",
                 {{"secretKeyRef", {{"name", secret_name}, {"key", name}}}}}};
  };
  // A tenant's instance has no DSN of its own: its sources are in the config.
  if (input.has_dsn) env.push_back(from_secret(kube_secret_key::kDsn));
  env.push_back(from_secret(kube_secret_key::kToken));
  for (const auto& name : input.secret_env_names) env.push_back(from_secret(name));
  for (const auto& ref : input.secret_key_env) {
    env.push_back({{"name", ref.name},
                   {"valueFrom",
                    {{"secretKeyRef", {{"name", ref.secret}, {"key", ref.key}}}}}});
  }

  json args = json::array({"--transport", "http", "--port", port});
  json mounts = json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}});
  json volumes = json::array(
      {{{"name", "tmp"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "64Mi"}}}}});
  json labels = {
      {kube_label::kManagedBy, kube_label::kManagedByValue},
      {kube_label::kGatewayId, input.gateway_id},
      {kube_label::kKeyPrefix, input.key_prefix},
  };
  if (input.has_config) {
    args.push_back(text::Cat("--config=", kPodConfigDir, "/",
                             kube_secret_key::kConfig));
    mounts.push_back(
        {{"name", "config"}, {"mountPath", kPodConfigDir}, {"readOnly", true}});
    volumes.push_back(
        {{"name", "config"},
         {"secret",
          {{"secretName", secret_name},
           {"defaultMode", 0440},
           {"items",
            json::array({{{"key", kube_secret_key::kConfig},
                          {"path", kube_secret_key::kConfig}}})}}}});
    labels[kube_label::kDbhubConfig] = "1";
  }
  for (std::size_t i = 0; i < input.volumes.size(); ++i) {
    const auto& volume = input.volumes[i];
    const std::string name = text::Cat("data", i);
    mounts.push_back({{"name", name},
                      {"mountPath", volume.mount_path},
                      {"readOnly", volume.read_only}});
    volumes.push_back({{"name", name},
                       {"persistentVolumeClaim",
                        {{"claimName", volume.claim},
                         {"readOnly", volume.read_only}}}});
  }
  json container = {
      {"name", "dbhub"},
      {"image", input.image},
      {"imagePullPolicy", input.pull_policy},
      {"args", std::move(args)},
      {"env", std::move(env)},
      {"ports", json::array({{{"containerPort", kPodPort}, {"name", "http"}}})},
      {"readinessProbe",
       {{"httpGet", {{"path", "/healthz"}, {"port", kPodPort}}},
        {"periodSeconds", 1},
        {"timeoutSeconds", 1},
        {"failureThreshold", 3}}},
      {"resources",
       {{"requests",
         {{"cpu", input.resources.cpu_request},
          {"memory", input.resources.memory_request}}},
        {"limits",
         {{"cpu", input.resources.cpu_limit},
          {"memory", input.resources.memory_limit}}}}},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", input.uid},
        {"runAsGroup", input.uid},
        {"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"volumeMounts", std::move(mounts)},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
  };
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", input.name},
        {"namespace", input.namespace_name},
        {"labels", std::move(labels)},
        {"annotations",
         {{kube_label::kInstanceId, input.instance_id},
          {kube_label::kSecretName, secret_name},
          {"mcp-gateway/created-at", input.created_at}}}}},
      {"spec",
       {{"restartPolicy", "Never"},
        {"automountServiceAccountToken", false},
        {"enableServiceLinks", false},
        {"terminationGracePeriodSeconds", input.termination_grace_seconds},
        {"securityContext",
         {{"runAsNonRoot", true},
          {"runAsUser", input.uid},
          {"runAsGroup", input.uid},
          {"fsGroup", input.uid},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
        {"containers", json::array({std::move(container)})},
        {"volumes", std::move(volumes)}}},
  };
}

json BuildSecret(const KubePodInput& input, std::string_view pod_uid,
                 std::string_view dsn, std::string_view token,
                 const std::vector<std::string>& secret_env,
                 std::string_view dbhub_config) {
  json data = json::object();
  auto put = [&](const std::string& key, std::string_view value) {
    data[key] = absl::Base64Escape(absl::string_view(value.data(), value.size()));
  };
  if (!dsn.empty()) put(kube_secret_key::kDsn, dsn);
  put(kube_secret_key::kToken, token);
  for (const auto& entry : secret_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    put(entry.substr(0, eq), std::string_view(entry).substr(eq + 1));
  }
  if (!dbhub_config.empty()) put(kube_secret_key::kConfig, dbhub_config);
  json metadata = {
      {"name", input.secret_name.empty() ? input.name : input.secret_name},
      {"namespace", input.namespace_name},
      {"labels",
       {{kube_label::kManagedBy, kube_label::kManagedByValue},
        {kube_label::kGatewayId, input.gateway_id},
        {kube_label::kKeyPrefix, input.key_prefix}}},
  };
  if (!pod_uid.empty()) {
    metadata["ownerReferences"] = json::array({{{"apiVersion", "v1"},
                                                {"kind", "Pod"},
                                                {"name", input.name},
                                                {"uid", std::string(pod_uid)}}});
  }
  return json{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"type", "Opaque"},
              {"metadata", std::move(metadata)},
              {"immutable", true},
              {"data", std::move(data)}};
}

json PodOwnedBySecretPatch(std::string_view secret_name, std::string_view secret_uid) {
  return {{"metadata",
           {{"ownerReferences", json::array({{{"apiVersion", "v1"},
                                              {"kind", "Secret"},
                                              {"name", std::string(secret_name)},
                                              {"uid", std::string(secret_uid)}}})}}}};
}

std::string GatewaySelector(std::string_view gateway_id) {
  return text::Cat(kube_label::kGatewayId, "=", gateway_id);
}

PodCondition ClassifyPod(const json& pod) {
  PodCondition out;
  if (!pod.is_object()) return out;
  const json metadata = pod.value("metadata", json::object());
  out.uid = StringAt(metadata, "uid");
  out.terminating = metadata.contains("deletionTimestamp") &&
                    !metadata["deletionTimestamp"].is_null();
  const json status = pod.value("status", json::object());
  out.pod_ip = StringAt(status, "podIP");
  const std::string phase = StringAt(status, "phase");

  const json statuses = status.value("containerStatuses", json::array());
  for (const auto& container : statuses) {
    const json state = container.value("state", json::object());
    if (state.contains("terminated")) {
      const json& terminated = state["terminated"];
      out.kind = PodCondition::Kind::kFailed;
      out.exit_code = terminated.value("exitCode", 0);
      const std::string reason = StringAt(terminated, "reason");
      const std::string message = StringAt(terminated, "message");
      if (reason == "StartError" || reason == "ContainerCannotRun") {
        // The container never ran (a mount, the entrypoint): no DBHub output.
        out.exit_code.reset();
        out.reason = message.empty() ? reason : text::Cat(reason, ": ", message);
        return out;
      }
      out.reason = reason == "OOMKilled"
                       ? "killed: out of memory (pod memory limit)"
                       : text::Cat("its container ended (",
                                   reason.empty() ? "exit" : reason, ", code ",
                                   *out.exit_code, ")");
      return out;
    }
    if (state.contains("waiting")) {
      const std::string reason = StringAt(state["waiting"], "reason");
      if (IsFatalWaitingReason(reason)) {
        out.kind = PodCondition::Kind::kFailed;
        out.config_error = reason == "CreateContainerConfigError";
        const std::string message = StringAt(state["waiting"], "message");
        out.reason = message.empty() ? reason : text::Cat(reason, ": ", message);
        return out;
      }
      if (!reason.empty()) out.reason = reason;
    }
  }
  if (phase == "Failed" || phase == "Succeeded") {
    out.kind = PodCondition::Kind::kFailed;
    const std::string message = StringAt(status, "message");
    const std::string reason = StringAt(status, "reason");
    out.reason = text::Cat("pod ", phase,
                           reason.empty() ? "" : text::Cat(" (", reason, ")"),
                           message.empty() ? "" : text::Cat(": ", message));
    return out;
  }
  bool ready = false;
  for (const auto& condition : status.value("conditions", json::array())) {
    const std::string type = StringAt(condition, "type");
    const std::string value = StringAt(condition, "status");
    if (type == "PodScheduled" && value == "False" &&
        StringAt(condition, "reason") == "Unschedulable") {
      out.kind = PodCondition::Kind::kFailed;
      const std::string message = StringAt(condition, "message");
      out.reason = message.empty() ? "Unschedulable"
                                   : text::Cat("Unschedulable: ", message);
      return out;
    }
    if (type == "Ready" && value == "True") ready = true;
  }
  if (ready && !out.pod_ip.empty() && !out.terminating) {
    out.kind = PodCondition::Kind::kReady;
  }
  return out;
}

std::string DescribeApiError(long http_status, std::string_view body,
                             std::string_view what) {
  const json parsed = json::parse(body, nullptr, false);
  std::string message = StringAt(parsed, "message");
  const std::string reason = StringAt(parsed, "reason");
  if (message.empty()) {
    message = std::string(body.substr(0, 300));
  }
  std::string out = text::Cat("Kubernetes API: ", what, ": HTTP ", http_status,
                              reason.empty() ? "" : text::Cat(" ", reason),
                              message.empty() ? "" : text::Cat(": ", message));
  if (http_status == 403) {
    out += " (the gateway's Role needs it: see deploy/kubernetes/role.yaml)";
  } else if (http_status == 401) {
    out += " (the credentials in the kubeconfig or service-account token "
           "were not accepted)";
  }
  return out;
}

}  // namespace mcpgw::runtime
