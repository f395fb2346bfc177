#include "runtime/kube_spec.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "runtime/kube_client.h"

namespace mcpgw::runtime {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "s3cr3t-pa55";
constexpr const char* kDsn = "postgres://app:s3cr3t-pa55@db.example:5432/app";

KubePodInput Input() {
  KubePodInput input;
  input.name = PodName("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  input.namespace_name = "mcp";
  input.image = "localhost/mcp-gateway/dbhub:1.4.0-offline";
  input.pull_policy = "Never";
  input.gateway_id = "0123456789ab";
  input.key_prefix = "abcdef012345";
  input.instance_id = "i-1-1";
  input.secret_env_names = {"DSN_TENANT_A"};
  input.volumes = {{"sqlite", "/data", true}};
  return input;
}

TEST(KubeSpecTest, PodNameIsADns1123LabelFromTheKey) {
  const std::string key(64, 'f');
  const std::string name = PodName(key);
  EXPECT_EQ(name, "mcpgw-" + std::string(40, 'f'));
  EXPECT_LE(name.size(), 63u);
  EXPECT_TRUE(IsDns1123Label(name));
  EXPECT_EQ(PodName(key), PodName(key));
  EXPECT_NE(PodName(std::string(64, 'a')), name);
  EXPECT_EQ(PodName("AB_c"), "mcpgw-abc");
  EXPECT_TRUE(IsDns1123Label(PodName("")));
  EXPECT_FALSE(IsDns1123Label("-a"));
  EXPECT_FALSE(IsDns1123Label("A"));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
}

TEST(KubeSpecTest, ObjectNameIsTheMetadataNameOrEmpty) {
  EXPECT_EQ(ObjectName(json::parse(R"({"metadata":{"name":"shop","resourceVersion":"7"}})")),
            "shop");
  EXPECT_EQ(ObjectName(json::parse(R"({"metadata":{}})")), "");
  EXPECT_EQ(ObjectName(json::object()), "");
}

TEST(KubeSpecTest, QuantitiesAreChecked) {
  for (const char* ok : {"100m", "1", "0.5", "512Mi", "1Gi", "2G"}) {
    EXPECT_TRUE(IsQuantity(ok)) << ok;
  }
  for (const char* bad : {"", "m", "1.5.5", "12 Mi", "-1", "1Xi"}) {
    EXPECT_FALSE(IsQuantity(bad)) << bad;
  }
}

TEST(KubeSpecTest, PodHoldsNoSecretAndIsRestricted) {
  const json pod = BuildPod(Input());
  const std::string text = pod.dump();
  EXPECT_EQ(text.find(kPassword), std::string::npos);
  EXPECT_EQ(text.find("DBHUB_AUTH_TOKEN\",\"value\":"), std::string::npos);
  const json& spec = pod["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Never");
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(spec["securityContext"]["runAsUser"], 10001);
  EXPECT_EQ(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  const json& container = spec["containers"][0];
  EXPECT_EQ(container["imagePullPolicy"], "Never");
  EXPECT_EQ(container["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(container["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(container["securityContext"]["capabilities"]["drop"], json::array({"ALL"}));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["port"], 8080);
  EXPECT_EQ(container["resources"]["limits"]["memory"], "512Mi");
  // DSN, token and the tenant's DSNs only through secretKeyRef.
  int from_secret = 0;
  for (const auto& env : container["env"]) {
    if (env.contains("valueFrom")) {
      ++from_secret;
      EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["name"], pod["metadata"]["name"]);
      EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["key"], env["name"]);
    } else {
      EXPECT_NE(env["name"], "DSN");
    }
  }
  EXPECT_EQ(from_secret, 3);
  // /tmp is an emptyDir, the claim mounted read-only.
  bool tmp = false, claim = false;
  for (const auto& volume : spec["volumes"]) {
    if (volume["name"] == "tmp") tmp = volume.contains("emptyDir");
    if (volume.contains("persistentVolumeClaim")) {
      claim = volume["persistentVolumeClaim"]["claimName"] == "sqlite" &&
              volume["persistentVolumeClaim"]["readOnly"] == true;
    }
  }
  EXPECT_TRUE(tmp);
  EXPECT_TRUE(claim);
  EXPECT_EQ(pod["metadata"]["labels"][kube_label::kGatewayId], "0123456789ab");
  EXPECT_FALSE(pod["metadata"]["labels"].contains(kube_label::kDbhubConfig));
}

TEST(KubeSpecTest, DeclaredCredentialsComeFromTheUsersSecret) {
  KubePodInput input = Input();
  input.secret_key_env = {{"MCPGW_SOURCE_0_PASSWORD", "shop-db", "password"}};
  const json pod = BuildPod(input);
  bool found = false;
  for (const auto& env : pod["spec"]["containers"][0]["env"]) {
    if (env["name"] != "MCPGW_SOURCE_0_PASSWORD") continue;
    found = true;
    EXPECT_FALSE(env.contains("value"));
    EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["name"], "shop-db");
    EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["key"], "password");
  }
  EXPECT_TRUE(found) << pod.dump();
}

TEST(KubeSpecTest, ConfigComesFromTheSecretVolume) {
  auto input = Input();
  input.has_config = true;
  input.has_dsn = false;
  const json pod = BuildPod(input);
  const json& container = pod["spec"]["containers"][0];
  EXPECT_NE(container["args"].dump().find("--config=/mcp-gateway/dbhub.toml"),
            std::string::npos);
  bool secret_volume = false;
  for (const auto& volume : pod["spec"]["volumes"]) {
    if (volume.contains("secret")) {
      secret_volume = volume["secret"]["secretName"] == input.name;
    }
  }
  EXPECT_TRUE(secret_volume);
  EXPECT_EQ(pod["metadata"]["labels"][kube_label::kDbhubConfig], "1");
  for (const auto& env : container["env"]) EXPECT_NE(env["name"], "DSN");
}

TEST(KubeSpecTest, SecretHoldsTheSecretsAndIsOwnedByThePod) {
  const json secret = BuildSecret(Input(), "uid-1", kDsn, "tok",
                                  {"DSN_TENANT_A=sqlite:///x.db"}, "[[sources]]");
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["kind"], "Pod");
  std::string dsn;
  ASSERT_TRUE(absl::Base64Unescape(secret["data"]["DSN"].get<std::string>(), &dsn));
  EXPECT_EQ(dsn, kDsn);
  EXPECT_TRUE(secret["data"].contains("DBHUB_AUTH_TOKEN"));
  EXPECT_TRUE(secret["data"].contains("DSN_TENANT_A"));
  EXPECT_TRUE(secret["data"].contains("dbhub.toml"));
  EXPECT_EQ(secret.dump().find(kPassword), std::string::npos);  // base64 only
}

TEST(KubeSpecTest, PodBecomesADependentOfItsSecret) {
  const json patch = PodOwnedBySecretPatch("mcpgw-abc-1f2e", "uid-s");
  const json& owners = patch["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["kind"], "Secret");
  EXPECT_EQ(owners[0]["apiVersion"], "v1");
  EXPECT_EQ(owners[0]["name"], "mcpgw-abc-1f2e");
  EXPECT_EQ(owners[0]["uid"], "uid-s");
  // Not a controller and no blockOwnerDeletion: the cycle must not hold up
  // either deletion.
  EXPECT_FALSE(owners[0].contains("controller"));
  EXPECT_FALSE(owners[0].contains("blockOwnerDeletion"));
}

json PodWith(const json& status) {
  return json{{"metadata", {{"name", "p"}, {"uid", "u"}}}, {"status", status}};
}

TEST(KubeSpecTest, ClassifiesReadyPendingAndFailures) {
  EXPECT_EQ(ClassifyPod(PodWith({{"phase", "Pending"}})).kind,
            PodCondition::Kind::kPending);
  const auto ready = ClassifyPod(PodWith(
      {{"phase", "Running"},
       {"podIP", "10.244.0.5"},
       {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}));
  EXPECT_EQ(ready.kind, PodCondition::Kind::kReady);
  EXPECT_EQ(ready.pod_ip, "10.244.0.5");
  EXPECT_EQ(ready.uid, "u");

  for (const char* reason : {"ErrImageNeverPull", "ImagePullBackOff",
                             "CrashLoopBackOff", "CreateContainerConfigError"}) {
    const auto failed = ClassifyPod(PodWith(
        {{"phase", "Pending"},
         {"containerStatuses",
          json::array({{{"state",
                         {{"waiting", {{"reason", reason}, {"message", "m"}}}}}}})}}));
    EXPECT_EQ(failed.kind, PodCondition::Kind::kFailed) << reason;
    EXPECT_NE(failed.reason.find(reason), std::string::npos);
    EXPECT_EQ(failed.config_error,
              std::string(reason) == "CreateContainerConfigError");
  }
  const auto creating = ClassifyPod(PodWith(
      {{"containerStatuses",
        json::array({{{"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}})}}));
  EXPECT_EQ(creating.kind, PodCondition::Kind::kPending);

  const auto unschedulable = ClassifyPod(PodWith(
      {{"phase", "Pending"},
       {"conditions", json::array({{{"type", "PodScheduled"},
                                     {"status", "False"},
                                     {"reason", "Unschedulable"},
                                     {"message", "0/1 nodes: Insufficient cpu"}}})}}));
  EXPECT_EQ(unschedulable.kind, PodCondition::Kind::kFailed);
  EXPECT_NE(unschedulable.reason.find("Insufficient cpu"), std::string::npos);

  const auto exited = ClassifyPod(PodWith(
      {{"phase", "Failed"},
       {"containerStatuses",
        json::array({{{"state", {{"terminated", {{"exitCode", 1}, {"reason", "Error"}}}}}}})}}));
  EXPECT_EQ(exited.kind, PodCondition::Kind::kFailed);
  EXPECT_EQ(exited.exit_code, 1);

  json terminating = PodWith({{"phase", "Running"}});
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(ClassifyPod(terminating).terminating);
}

TEST(KubeSpecTest, ApiErrorsSayWhatWasRefused) {
  const std::string forbidden =
      R"({"kind":"Status","reason":"Forbidden","message":"pods is forbidden: User \"system:serviceaccount:x:gw\" cannot create resource \"pods\" in API group \"\" in the namespace \"x\"","code":403})";
  const std::string text = DescribeApiError(403, forbidden, "create pods in namespace x");
  EXPECT_NE(text.find("cannot create resource \"pods\""), std::string::npos) << text;
  EXPECT_NE(text.find("role.yaml"), std::string::npos);
}

TEST(KubeconfigTest, ParsesClientCertificatesAndTokens) {
  const std::string ca = absl::Base64Escape("CA PEM");
  const std::string cert = absl::Base64Escape("CERT PEM");
  const std::string key = absl::Base64Escape("KEY PEM");
  const std::string yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                           "    server: https://127.0.0.1:16443/\n"
                           "    certificate-authority-data: " + ca + "\n"
                           "users:\n- name: admin\n  user:\n"
                           "    client-certificate-data: " + cert + "\n"
                           "    client-key-data: " + key + "\n"
                           "- name: sa\n  user:\n    token: abc.def\n"
                           "contexts:\n- name: admin@c\n  context: {cluster: c, user: admin}\n"
                           "- name: sa@c\n  context: {cluster: c, user: sa}\n"
                           "current-context: admin@c\n";
  auto admin = ParseKubeconfig(yaml, "/etc");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->server, "https://127.0.0.1:16443");
  EXPECT_EQ(admin->ca_pem, "CA PEM");
  EXPECT_EQ(admin->client_cert_pem, "CERT PEM");
  EXPECT_EQ(admin->client_key_pem, "KEY PEM");
  EXPECT_TRUE(admin->token.empty());
  auto sa = ParseKubeconfig(yaml, "/etc", "sa@c");
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(sa->token, "abc.def");
  EXPECT_TRUE(sa->client_cert_pem.empty());

  EXPECT_FALSE(ParseKubeconfig(yaml, "/etc", "nope").ok());
  EXPECT_FALSE(ParseKubeconfig("clusters: [", "/etc").ok());
  auto files = ParseKubeconfig(
      "clusters:\n- name: c\n  cluster: {server: 'https://k:6443', certificate-authority: ca.crt}\n"
      "users:\n- name: u\n  user: {client-certificate: u.crt, client-key: /abs/u.key}\n"
      "contexts:\n- name: x\n  context: {cluster: c, user: u}\n",
      "/home/k");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->ca_file, "/home/k/ca.crt");
  EXPECT_EQ(files->client_cert_file, "/home/k/u.crt");
  EXPECT_EQ(files->client_key_file, "/abs/u.key");
  EXPECT_FALSE(LoadKubeconfig("/nonexistent/kubeconfig").ok());
}

}  // namespace
}  // namespace mcpgw::runtime
