// The kubernetes runtime's own promises (kubernetes.* runs only), checked
// through the test cluster's API: no secret in any pod, label, annotation or
// event; the restricted security context; a pod deleted behind the
// gateway's back replaced; a missing image reported at once; one pod for one
// DSN across two gateways; a restarted gateway adopting its pod; and the
// namespaced Role of deploy/kubernetes/role.yaml being enough (and its
// absence named).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "policies/target.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/kube_fixture.h"
#include "test_support/mcp_client.h"
#include "test_support/postgres_server.h"
#include "test_support/process.h"
#include "test_support/test_runtime.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kBackendStartFailed = rpc_code::kBackendStartFailed;

class KubernetesRuntimeTest : public KubernetesTest {};

TEST_F(KubernetesRuntimeTest, PodIsRestrictedAndNoSecretShowsInTheApi) {
  auto& postgres = SharedPostgres();
  StartGateway({"--start-timeout=60s"});
  auto client = Client(postgres.Dsn());
  const auto rows = client.ExecuteSql(kProductsQuery);
  ASSERT_EQ(rows.status, 200) << rows.Describe();
  ASSERT_EQ(ExecuteSqlRows(rows), ProductsRows()) << rows.Describe();

  const std::string name = OnlyPodName();
  ASSERT_FALSE(name.empty());
  const json pod = KubeGet(PodPath(name));
  ASSERT_TRUE(pod.is_object());
  const std::string password = PostgresServer::kPassword;
  // Spec, labels, annotations, status: nothing of the DSN's password.
  EXPECT_TRUE(DoesNotContain(pod.dump(), password));
  const json events = KubeGet("/api/v1/namespaces/" + Ns() + "/events");
  ASSERT_TRUE(events.is_object());
  EXPECT_TRUE(DoesNotContain(events.dump(), password));
  EXPECT_TRUE(DoesNotContain(AllGatewayOutput(), password));

  // The Secret holds it, owned by the pod.
  const json secret = KubeGet("/api/v1/namespaces/" + Ns() + "/secrets/" +
                              pod["metadata"]["annotations"]["mcp-gateway/secret"].get<std::string>());
  ASSERT_TRUE(secret.is_object());
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], pod["metadata"]["uid"]);
  std::string dsn;
  ASSERT_TRUE(absl::Base64Unescape(secret["data"]["DSN"].get<std::string>(), &dsn));
  EXPECT_EQ(dsn, postgres.Dsn());

  // Restricted.
  const json& spec = pod["spec"];
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(spec["securityContext"]["runAsUser"], 10001);
  EXPECT_EQ(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  const json& container = spec["containers"][0];
  EXPECT_EQ(container["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(container["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(container["securityContext"]["capabilities"]["drop"], json::array({"ALL"}));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_TRUE(container["resources"]["limits"].contains("memory"));
  EXPECT_TRUE(container["resources"]["requests"].contains("cpu"));
  for (const auto& env : container["env"]) {
    if (env["name"] == "DSN" || env["name"] == "DBHUB_AUTH_TOKEN") {
      EXPECT_TRUE(env.contains("valueFrom")) << env.dump();
    }
  }
  // The process itself: no capabilities, no_new_privs, seccomp filter.
  const int pid = PodProcessPid(name);
  ASSERT_GT(pid, 0);
  const std::string status = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
}

TEST_F(KubernetesRuntimeTest, PodDeletedBehindItsBackIsReplacedOnTheNextRequest) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("deleted.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.ListTools().status, 200);
  const std::string name = OnlyPodName();
  const json before = KubeGet(PodPath(name));
  const std::string uid = before["metadata"]["uid"];
  const std::string old_secret =
      before["metadata"]["annotations"]["mcp-gateway/secret"].get<std::string>();
  ASSERT_EQ(KubeCall("DELETE", PodPath(name), R"({"gracePeriodSeconds":0})"), 200);
  ASSERT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, 30s))
      << Instances().response.body;
  const auto again = client.ListTools();
  ASSERT_EQ(again.status, 200) << again.Describe();
  const json pod = KubeGet(PodPath(OnlyPodName()));
  ASSERT_TRUE(pod.is_object());
  EXPECT_NE(pod["metadata"]["uid"], uid);
  // The old pod's Secret went with it (owned by the pod: garbage-collected).
  EXPECT_TRUE(WaitUntil(
      [&] {
        return KubeCall("GET", "/api/v1/namespaces/" + Ns() + "/secrets/" + old_secret,
                        std::nullopt) == 404;
      },
      60s));
}

TEST_F(KubernetesRuntimeTest, DeletingTheSecretRemovesItsPod) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("secret-deleted.db");
  auto client = Client(dsn);
  ASSERT_EQ(client.ListTools().status, 200);
  const std::string name = OnlyPodName();
  const json before = KubeGet(PodPath(name));
  const std::string uid = before["metadata"]["uid"];
  const std::string secret =
      before["metadata"]["annotations"]["mcp-gateway/secret"].get<std::string>();
  // The platform ties them, not the gateway: the pod names its Secret as owner.
  bool owned_by_secret = false;
  for (const auto& owner : before["metadata"].value("ownerReferences", json::array())) {
    if (owner.value("kind", "") == "Secret" && owner.value("name", "") == secret) {
      owned_by_secret = true;
    }
  }
  EXPECT_TRUE(owned_by_secret) << before["metadata"].dump();
  ASSERT_EQ(KubeCall("DELETE", "/api/v1/namespaces/" + Ns() + "/secrets/" + secret,
                     std::nullopt),
            200);
  // The garbage collector deletes the pod; the gateway sees it go.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string body;
        const long status = KubeCall("GET", PodPath(name), std::nullopt, &body);
        return status == 404 ||
               (status == 200 && json::parse(body)["metadata"]["uid"] != uid);
      },
      90s));
  ASSERT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, 30s))
      << Instances().response.body;
  const auto again = client.ExecuteSql("SELECT 1 AS one");
  EXPECT_EQ(again.status, 200) << again.Describe();
}

TEST_F(KubernetesRuntimeTest, UnschedulablePodReachesTheClientAtOnce) {
  StartGateway({"--kube-cpu-request=64", "--kube-cpu-limit=64", "--start-timeout=120s"});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = Client(NewSqliteDsn("huge.db")).ListTools();
  EXPECT_EQ(JsonRpcErrorCode(reply), kBackendStartFailed) << reply.Describe();
  EXPECT_NE(JsonRpcErrorMessage(reply).find("Unschedulable"), std::string::npos)
      << reply.Describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
}

TEST_F(KubernetesRuntimeTest, MissingKubeconfigAndUnreachableApiServerAreClearErrors) {
  try {
    StartGateway({"--kubeconfig=" + (temp().path() / "nope.kubeconfig").string()});
    ADD_FAILURE() << "the gateway started without its kubeconfig";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--kubeconfig: cannot read"), std::string::npos)
        << e.what();
  }
  // An API server that does not answer: the gateway starts (it may come
  // back), and a request hears why it cannot be served.
  const auto kubeconfig = temp().path() / "closed.kubeconfig";
  {
    std::ofstream out(kubeconfig);
    out << "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"
        << "users:\n- name: u\n  user: {token: t}\n"
        << "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
        << "current-context: x\n";
  }
  StartGateway({"--kubeconfig=" + kubeconfig.string()});
  const auto reply = Client(NewSqliteDsn("unreachable.db")).ListTools();
  EXPECT_EQ(JsonRpcErrorCode(reply), kBackendStartFailed) << reply.Describe();
  EXPECT_NE(JsonRpcErrorMessage(reply).find("cannot reach the Kubernetes API server"),
            std::string::npos)
      << reply.Describe();
}

TEST_F(KubernetesRuntimeTest, MissingImageReachesTheClientWithinSeconds) {
  StartGateway({"--image=localhost/mcp-gateway/not-there:0", "--start-timeout=120s"});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = Client(NewSqliteDsn("image.db")).ListTools();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(JsonRpcErrorCode(reply), kBackendStartFailed) << reply.Describe();
  EXPECT_NE(JsonRpcErrorMessage(reply).find("ErrImageNeverPull"), std::string::npos)
      << reply.Describe();
  EXPECT_LT(took, 20s);
  // And the failed pod is gone.
  EXPECT_TRUE(WaitUntil([&] { return Instances().instances.empty(); }, 30s));
}

TEST_F(KubernetesRuntimeTest, TwoGatewaysMakeOnePodForOneDsn) {
  auto& first = StartGateway();
  const std::string dsn = NewSqliteDsn("shared.db");
  auto second = StartReplica("second");

  auto a = McpClient(first.mcp_url(), dsn);
  auto b = McpClient(second->mcp_url(), dsn);
  std::thread other([&] { EXPECT_EQ(b.ListTools().status, 200); });
  EXPECT_EQ(a.ListTools().status, 200);
  other.join();
  const json pods = KubeGet("/api/v1/namespaces/" + Ns() + "/pods");
  int with_name = 0;
  const std::string name = OnlyPodName();
  for (const auto& pod : pods["items"]) {
    if (pod["metadata"]["name"] == name) ++with_name;
  }
  EXPECT_EQ(with_name, 1);
  const std::string uid = KubeGet(PodPath(name))["metadata"]["uid"];
  EXPECT_EQ(b.ExecuteSql("SELECT 1 AS one").status, 200);
  // The second one stops: the first used the pod just now, so the pod
  // stays (it is the first one's to reap) and keeps serving it.
  const auto status = second->Terminate(30s);
  EXPECT_TRUE(status.has_value());
  if (HasFailure()) std::cerr << second->Output();
  const json after = KubeGet(PodPath(name));
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["metadata"]["uid"], uid);
  EXPECT_FALSE(after["metadata"].contains("deletionTimestamp")) << after["metadata"].dump();
  EXPECT_EQ(a.ExecuteSql("SELECT 2 AS two").status, 200);
  EXPECT_EQ(KubeGet(PodPath(name))["metadata"]["uid"], uid);
}

TEST_F(KubernetesRuntimeTest, RestartedGatewayAdoptsItsPod) {
  StartGateway();
  const std::string dsn = NewSqliteDsn("adopt.db");
  ASSERT_EQ(Client(dsn).ListTools().status, 200);
  const std::string name = OnlyPodName();
  const std::string uid = KubeGet(PodPath(name))["metadata"]["uid"];
  gateway().Kill();
  StartGateway();
  const auto snapshot = Instances();
  ASSERT_EQ(snapshot.instances.size(), 1u) << snapshot.response.body;
  ASSERT_EQ(Client(dsn).ListTools().status, 200);
  EXPECT_EQ(KubeGet(PodPath(name))["metadata"]["uid"], uid);
  EXPECT_NE(gateway().Output().find("adopted pod " + name), std::string::npos)
      << gateway().Output();
}

// Inside a cluster the gateway reads its service account's token from a
// file that the kubelet rotates: every request reads it again. Here the
// mounted directory is made by hand from TokenRequests of the test cluster.
TEST_F(KubernetesRuntimeTest, InClusterCredentialsFollowTheRotatedTokenFile) {
  const std::string bound_sa = "mcpgw-incluster-bound";
  const std::string bare_sa = "mcpgw-incluster-bare";
  for (const auto& sa : {bound_sa, bare_sa}) {
    Kubectl({"-n", Ns(), "create", "serviceaccount", sa});
  }
  Kubectl({"-n", Ns(), "apply", "-f", MCP_GATEWAY_SOURCE_DIR "/deploy/kubernetes/role.yaml"});
  Kubectl({"-n", Ns(), "delete", "rolebinding", bound_sa, "--ignore-not-found"});
  const auto bound = Kubectl({"-n", Ns(), "create", "rolebinding", bound_sa,
                              "--role=mcp-gateway",
                              "--serviceaccount=" + Ns() + ":" + bound_sa});
  ASSERT_TRUE(bound.ok()) << bound.output;
  auto token_of = [&](const std::string& sa) {
    std::string answer;
    const long status = KubeCall(
        "POST", "/api/v1/namespaces/" + Ns() + "/serviceaccounts/" + sa + "/token",
        R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}})",
        &answer);
    EXPECT_EQ(status, 201) << answer;
    return status == 201 ? json::parse(answer)["status"]["token"].get<std::string>() : "";
  };
  const auto admin = TestKubeClient().credentials();
  const auto sa_dir = temp().path() / "serviceaccount";
  std::filesystem::create_directories(sa_dir);
  auto write = [&](const std::string& file, const std::string& text) {
    std::ofstream(sa_dir / file, std::ios::trunc) << text;
  };
  write("ca.crt", admin.ca_pem);
  write("namespace", Ns());
  write("token", token_of(bare_sa));
  const std::string host_port = admin.server.substr(admin.server.find("://") + 3);
  const std::string host = host_port.substr(0, host_port.rfind(':'));
  const std::string port = host_port.substr(host_port.rfind(':') + 1);
  ::setenv("KUBERNETES_SERVICE_HOST", host.c_str(), 1);
  ::setenv("KUBERNETES_SERVICE_PORT", port.c_str(), 1);
  auto credentials = runtime::InClusterCredentials(sa_dir);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(runtime::InClusterNamespace(sa_dir), Ns());
  const runtime::KubeClient client(*credentials);
  const std::string pods = "/api/v1/namespaces/" + Ns() + "/pods";
  // The account without the RoleBinding: authenticated (TLS with the
  // mounted CA), but forbidden.
  auto answer = client.Call("GET", pods, std::nullopt, 30s);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 403) << answer->body;
  // The kubelet rotates the file: the same client uses the new token.
  write("token", token_of(bound_sa));
  answer = client.Call("GET", pods, std::nullopt, 30s);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200) << answer->body;
  // A token file that went away is a clear error, not an anonymous call.
  std::filesystem::remove(sa_dir / "token");
  answer = client.Call("GET", pods, std::nullopt, 30s);
  EXPECT_FALSE(answer.ok());
  EXPECT_NE(std::string(answer.status().message()).find("service-account token"),
            std::string::npos)
      << answer.status();
  Kubectl({"-n", Ns(), "delete", "rolebinding", bound_sa, "--ignore-not-found"});
}

TEST_F(KubernetesRuntimeTest, NamespacedRoleIsEnoughAndItsAbsenceIsNamed) {
  const std::string sa = "mcpgw-rbac-test";
  Kubectl({"-n", Ns(), "delete", "rolebinding", sa, "--ignore-not-found"});
  ASSERT_TRUE(Kubectl({"-n", Ns(), "create", "serviceaccount", sa}).ok() ||
              KubeGet("/api/v1/namespaces/" + Ns() + "/serviceaccounts/" + sa).is_object());
  const auto applied = Kubectl({"-n", Ns(), "apply", "-f",
                                MCP_GATEWAY_SOURCE_DIR "/deploy/kubernetes/role.yaml"});
  ASSERT_TRUE(applied.ok()) << applied.output;
  std::string answer;
  ASSERT_EQ(KubeCall("POST",
                     "/api/v1/namespaces/" + Ns() + "/serviceaccounts/" + sa + "/token",
                     R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}})",
                     &answer),
            201)
      << answer;
  const std::string token = json::parse(answer)["status"]["token"];
  const auto admin = TestKubeClient().credentials();
  const auto kubeconfig = temp().path() / "sa.kubeconfig";
  {
    std::ofstream out(kubeconfig);
    out << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        << "    server: " << admin.server << "\n"
        << "    certificate-authority-data: " << absl::Base64Escape(admin.ca_pem) << "\n"
        << "users:\n- name: sa\n  user:\n    token: " << token << "\n"
        << "contexts:\n- name: sa@c\n  context: {cluster: c, user: sa}\n"
        << "current-context: sa@c\n";
  }
  // Without the RoleBinding: refused at start, naming what is missing.
  try {
    StartGateway({"--kubeconfig=" + kubeconfig.string()});
    ADD_FAILURE() << "the gateway started without RBAC";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("may not create pods"), std::string::npos) << what;
    EXPECT_NE(what.find("role.yaml"), std::string::npos) << what;
  }
  const auto bound = Kubectl({"-n", Ns(), "create", "rolebinding", sa, "--role=mcp-gateway",
                              "--serviceaccount=" + Ns() + ":" + sa});
  ASSERT_TRUE(bound.ok()) << bound.output;
  StartGateway({"--kubeconfig=" + kubeconfig.string()});
  const std::string dsn = NewSqliteDsn("rbac.db");
  const auto reply = Client(dsn).ExecuteSql("SELECT 1 AS one");
  EXPECT_EQ(reply.status, 200) << reply.Describe();
  StopGatewayAndExpectCleanExit();
  Kubectl({"-n", Ns(), "delete", "rolebinding", sa, "--ignore-not-found"});
}

}  // namespace
}  // namespace mcpgw::it
