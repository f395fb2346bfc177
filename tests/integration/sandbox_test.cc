// The instance sandbox (the isolation issue), against the real gateway and
// real DBHub on the process runtime:
//  - instances (and warm workers) run as an unprivileged user with no
//    supplementary groups and no_new_privs when the gateway is root, in a
//    private directory of their own, while the state directory stays 0700;
//  - SQL cannot reach the gateway's files: ATTACH of the tenant registry,
//    of /etc/shadow or of a world-readable file outside --sqlite-dir fails,
//    and the registry is byte for byte what it was;
//  - a DSN that names a file in the state directory is refused (403,
//    rpc_code::kForbidden) in every spelling, from a request, a tenant source, a seed
//    file and --default-dsn-file, with a message that names neither;
//  - a gateway killed with SIGKILL takes its instances with it.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "policies/target.h"
#include "test_support/admin_api.h"
#include "test_support/expectations.h"
#include "test_support/gateway_fixture.h"
#include "test_support/proc_info.h"
#include "test_support/process.h"
#include "test_support/sqlite_db.h"
#include "test_support/wait_until.h"

namespace mcpgw::it {
namespace {

namespace rpc_code = policies::rpc_code;

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kForbidden = rpc_code::kForbidden;

// Fields of /proc/PID/status, by name ("Uid", "Groups", "NoNewPrivs").
std::map<std::string, std::string> ProcStatus(pid_t pid) {
  std::map<std::string, std::string> fields;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    fields[line.substr(0, colon)] = value;
  }
  return fields;
}

// "1000\t1000\t1000\t1000" -> every id.
std::vector<long> Ids(const std::string& field) {
  std::vector<long> ids;
  std::istringstream in(field);
  long id = 0;
  while (in >> id) ids.push_back(id);
  return ids;
}

// The execute_sql answer reports success (every statement ran).
bool SqlSucceeded(const HttpResponse& response) {
  for (const auto& message : response.messages) {
    const auto text = message.value("/result/content/0/text"_json_pointer, nlohmann::json());
    if (!text.is_string()) continue;
    const auto payload = nlohmann::json::parse(text.get<std::string>(), nullptr, false);
    if (payload.is_object() && payload.value("success", false)) return true;
  }
  return false;
}

std::string FileBytes(const fs::path& file) { return ReadFileOrEmpty(file); }

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Percent-encodes every byte of `path` but the slashes.
std::string EncodeAll(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (c == '/') {
      out.push_back('/');
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

class SandboxTest : public GatewayTest {
 protected:
  // The registry with a tenant in it, so that there are rows to protect.
  void CreateTenantWithToken() {
    const auto created = AdminRequest(
        admin_http_, gateway().admin_port(), AdminToken(), "POST", "/admin/tenants",
        {{"id", "acme"},
         {"sources", {{{"id", "people"}, {"dsn", NewSqliteDsn("acme.db")}}}}});
    ASSERT_EQ(created.status, 201) << created.Describe();
    const auto issued = AdminRequest(admin_http_, gateway().admin_port(), AdminToken(),
                                     "POST", "/admin/tenants/acme/tokens",
                                     {{"label", "t"}});
    ASSERT_EQ(issued.status, 201) << issued.Describe();
  }

  // A sqlite directory the instance user may write in (the positive control
  // of the ATTACH test creates a database there).
  fs::path WritableSqliteDir() {
    const fs::path dir = sqlite_dir();
    chmod(dir.c_str(), 01777);
    return dir;
  }

  bool LandlockOn() const {
    return AllGatewayOutput().find("confined by Landlock") != std::string::npos;
  }

  HttpClient admin_http_;
};

TEST_F(SandboxTest, InstancesRunUnprivilegedWithoutGroupsAndWithNoNewPrivs) {
  if (geteuid() != 0) GTEST_SKIP() << "the uid change needs the gateway to run as root";
  StartGateway({"--warm-pool=1"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto pool = FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken());
        return pool.value("idle", 0) == 1;
      },
      seconds(60)))
      << "the warm pool never had an idle worker";
  const auto pool = FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken());
  ASSERT_EQ(pool["idle_pids"].size(), 1u) << pool.dump();
  const pid_t worker = pool["idle_pids"][0].get<int>();

  ASSERT_EQ(Client(NewSqliteDsn("a.db")).ExecuteSql(kPeopleQuery).status, 200);
  const auto instances = Instances().instances;
  ASSERT_EQ(instances.size(), 1u);

  for (const pid_t pid : {static_cast<pid_t>(instances[0].pid), worker}) {
    SCOPED_TRACE("pid " + std::to_string(pid));
    auto status = ProcStatus(pid);
    ASSERT_FALSE(status.empty()) << "no /proc entry";
    for (long id : Ids(status["Uid"])) EXPECT_NE(id, 0) << status["Uid"];
    for (long id : Ids(status["Gid"])) EXPECT_NE(id, 0) << status["Gid"];
    EXPECT_EQ(status["Groups"], "") << "supplementary groups";
    EXPECT_EQ(status["NoNewPrivs"], "1");
    EXPECT_EQ(status["CapEff"], "0000000000000000");
    // Its working directory is private and its own.
    struct stat cwd {};
    ASSERT_EQ(stat(("/proc/" + std::to_string(pid) + "/cwd").c_str(), &cwd), 0);
    EXPECT_EQ(static_cast<long>(cwd.st_uid), Ids(status["Uid"]).at(0));
    EXPECT_EQ(cwd.st_mode & 0777, 0700u);
  }
  struct stat state {};
  ASSERT_EQ(stat(state_dir().c_str(), &state), 0);
  EXPECT_EQ(state.st_mode & 0777, 0700u);
  EXPECT_EQ(state.st_uid, geteuid());
  StopGatewayAndExpectCleanExit();
}

TEST_F(SandboxTest, SqlCannotAttachTheRegistryNorFilesOutsideTheSqliteDir) {
  const fs::path sqlite_dir = WritableSqliteDir();
  StartGateway({"--sqlite-dir=" + sqlite_dir.string()});
  CreateTenantWithToken();
  const fs::path registry = state_dir() / "tenants.db";
  const std::string registry_before = FileBytes(registry);
  ASSERT_FALSE(registry_before.empty());
  const auto state_before = Listing(state_dir());

  // World-readable: only the sandbox, not the file's mode, keeps it out.
  const fs::path outside = temp().path() / "outside.db";
  CreatePeopleDatabase(outside);
  chmod(outside.c_str(), 0666);

  const fs::path allowed = sqlite_dir / "allowed.db";
  CreatePeopleDatabase(allowed);
  chmod(allowed.c_str(), 0666);
  auto client = Client("sqlite://" + allowed.string());
  ASSERT_EQ(client.ExecuteSql(kPeopleQuery).status, 200);

  // The control: ATTACH works, and may create a database in the sqlite dir.
  const auto control = client.ExecuteSql(
      "ATTACH DATABASE '" + (sqlite_dir / "scratch.db").string() +
      "' AS scratch; CREATE TABLE scratch.t(x INTEGER); DETACH DATABASE scratch;");
  EXPECT_TRUE(SqlSucceeded(control)) << control.Describe();

  std::vector<std::pair<std::string, fs::path>> targets = {
      {"the tenant registry", registry},
      {"a new file in the state directory", state_dir() / "planted.db"},
      {"the gateway's secret", state_dir() / "secret"},
      {"/etc/shadow", "/etc/shadow"},
  };
  if (LandlockOn()) {
    targets.push_back({"a world-readable file outside --sqlite-dir", outside});
    targets.push_back({"a new file outside --sqlite-dir", temp().path() / "planted.db"});
  } else {
    ADD_FAILURE() << "the gateway did not report Landlock: the kernel here has it";
  }
  for (const auto& [what, file] : targets) {
    SCOPED_TRACE(what);
    const auto read = client.ExecuteSql("ATTACH DATABASE '" + file.string() +
                                        "' AS x; SELECT count(*) FROM x.sqlite_master;");
    EXPECT_EQ(read.status, 200) << read.Describe();
    EXPECT_FALSE(SqlSucceeded(read)) << read.Describe();
    const auto write = client.ExecuteSql(
        "ATTACH DATABASE '" + file.string() +
        "' AS y; INSERT INTO y.tokens(id) VALUES ('planted'); CREATE TABLE y.planted(x);");
    EXPECT_FALSE(SqlSucceeded(write)) << write.Describe();
  }
  EXPECT_FALSE(fs::exists(temp().path() / "planted.db"));
  EXPECT_EQ(FileBytes(registry), registry_before) << "the registry changed";
  EXPECT_EQ(Listing(state_dir()), state_before);
  StopGatewayAndExpectCleanExit();
}

// Not root: instances run as the gateway's own user, so the state
// directory's mode cannot keep them out; Landlock must.
TEST_F(SandboxTest, WithoutRootLandlockAloneKeepsTheStateDirectoryOut) {
  if (geteuid() != 0) GTEST_SKIP() << "starting the gateway as another user needs root";
  constexpr uid_t kUser = 65534;  // nobody
  const fs::path sqlite_dir = WritableSqliteDir();
  const fs::path instances = temp().path() / "instances";
  fs::create_directories(state_dir());
  fs::create_directories(instances);
  for (const auto& dir : {state_dir(), instances}) {
    ASSERT_EQ(chown(dir.c_str(), kUser, kUser), 0);
  }
  chmod(state_dir().c_str(), 0700);
  StartGateway({"--sqlite-dir=" + sqlite_dir.string(), "--instance-dir=" + instances.string()},
               {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  ASSERT_TRUE(LandlockOn()) << AllGatewayOutput();
  CreateTenantWithToken();
  const fs::path registry = state_dir() / "tenants.db";
  const std::string registry_before = FileBytes(registry);

  const fs::path allowed = sqlite_dir / "own.db";
  CreatePeopleDatabase(allowed);
  chmod(allowed.c_str(), 0666);
  auto client = Client("sqlite://" + allowed.string());
  ASSERT_EQ(client.ExecuteSql(kPeopleQuery).status, 200);
  const auto instance = Instances().instances;
  ASSERT_EQ(instance.size(), 1u);
  EXPECT_EQ(Ids(ProcStatus(instance[0].pid)["Uid"]).at(0), static_cast<long>(kUser));

  for (const fs::path& file : {registry, state_dir() / "secret", state_dir() / "admin-token"}) {
    SCOPED_TRACE(file.string());
    const auto read = client.ExecuteSql("ATTACH DATABASE '" + file.string() +
                                        "' AS x; SELECT count(*) FROM x.sqlite_master;");
    EXPECT_FALSE(SqlSucceeded(read)) << read.Describe();
  }
  const auto plant = client.ExecuteSql("ATTACH DATABASE '" +
                                       (state_dir() / "planted.db").string() +
                                       "' AS y; CREATE TABLE y.t(x);");
  EXPECT_FALSE(SqlSucceeded(plant)) << plant.Describe();
  EXPECT_FALSE(fs::exists(state_dir() / "planted.db"));
  EXPECT_EQ(FileBytes(registry), registry_before);
  StopGatewayAndExpectCleanExit();
}

TEST_F(SandboxTest, StateDirectoryIsRefusedInEverySpelling) {
  // A link to the state directory, and one to the registry itself.
  const fs::path links = temp().path() / "links";
  fs::create_directories(links);
  StartGateway();
  CreateTenantWithToken();
  const std::string state = state_dir().string();
  fs::create_directory_symlink(state_dir(), links / "to-state");
  fs::create_symlink(state_dir() / "tenants.db", links / "to-registry.db");
  fs::create_directory_symlink(links, links / "loop");

  const std::vector<std::pair<std::string, std::string>> spellings = {
      {"plain", "sqlite://" + state + "/tenants.db"},
      {"a file that does not exist yet", "sqlite://" + state + "/new.db"},
      {"the directory itself", "sqlite://" + state},
      {"dot segments", "sqlite://" + state + "/./././tenants.db"},
      {"dot-dot back in", "sqlite://" + state + "/../state/tenants.db"},
      {"dot-dot from the root", "sqlite:///../../../.." + state + "/tenants.db"},
      {"percent-encoded everything", "sqlite://" + EncodeAll(state + "/tenants.db")},
      {"percent-encoded dots", "sqlite://" + state + "/%2e%2e/state/tenants.db"},
      {"query options", "sqlite://" + state + "/tenants.db?mode=ro&cache=shared"},
      {"upper-case scheme", "SQLITE://" + state + "/tenants.db"},
      {"a host before the path", "sqlite://localhost" + state + "/tenants.db"},
      {"double slash (relative)", "sqlite:////../../../../../../../.." + state + "/tenants.db"},
      {"a link to the directory", "sqlite://" + (links / "to-state" / "tenants.db").string()},
      {"a link to the file", "sqlite://" + (links / "to-registry.db").string()},
      {"a link, then dot-dot", "sqlite://" + (links / "loop" / "to-state" / ".." / "state" / "x.db").string()},
      {"a new file behind a link", "sqlite://" + (links / "to-state" / "sub" / "new.db").string()},
  };
  for (const auto& [what, dsn] : spellings) {
    SCOPED_TRACE(what + ": " + dsn);
    auto response = Client(dsn).ExecuteSql(kPeopleQuery);
    EXPECT_TRUE(IsJsonRpcErrorResponse(response, 403, kForbidden));
    EXPECT_TRUE(DoesNotContain(response.body, state));
    EXPECT_TRUE(DoesNotContain(response.body, "tenants.db"));
    EXPECT_TRUE(DoesNotContain(response.body, links.string()));
    // A tenant source is refused the same way.
    const auto source = AdminRequest(
        admin_http_, gateway().admin_port(), AdminToken(), "POST", "/admin/tenants",
        {{"id", "evil"}, {"sources", {{{"id", "s"}, {"dsn", dsn}}}}});
    EXPECT_EQ(source.status, 403) << source.Describe();
    EXPECT_TRUE(DoesNotContain(source.body, state));
  }
  EXPECT_TRUE(Instances().instances.empty());
  StopGatewayAndExpectCleanExit();

  // From a seed file: the gateway refuses to start with it, naming the
  // rule; from --default-dsn-file: requests without credentials get 403.
  const fs::path seed = temp().path() / "seed.toml";
  std::ofstream(seed) << "[[tenants]]\nid = \"seeded\"\n[[tenants.sources]]\nid = \"s\"\n"
                      << "dsn = \"sqlite://" << state << "/tenants.db\"\n";
  const fs::path default_dsn = temp().path() / "default-dsn";
  std::ofstream(default_dsn) << "sqlite://" << state << "/../state/tenants.db\n";
  GatewayProcess* seeded = nullptr;
  try {
    seeded = &StartGateway({"--tenants-file=" + seed.string()});
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("state-dir"), std::string::npos) << e.what();
  }
  if (seeded != nullptr) {
    EXPECT_EQ(Admin("GET", "/admin/tenants/seeded").status, 404)
        << "a seeded source in the state directory was accepted";
    StopGatewayAndExpectCleanExit();
  }
  StartGateway({"--default-dsn-file=" + default_dsn.string()});
  auto anonymous = Client(std::nullopt).ExecuteSql(kPeopleQuery);
  EXPECT_TRUE(IsJsonRpcErrorResponse(anonymous, 403, kForbidden));
  EXPECT_TRUE(DoesNotContain(anonymous.body, state));
  EXPECT_TRUE(Instances().instances.empty());
  StopGatewayAndExpectCleanExit();
}

TEST_F(SandboxTest, KilledGatewayTakesItsInstancesWithIt) {
  StartGateway({"--warm-pool=1"});
  ASSERT_EQ(Client(NewSqliteDsn("a.db")).ExecuteSql(kPeopleQuery).status, 200);
  ASSERT_EQ(Client(NewSqliteDsn("b.db")).ExecuteSql(kPeopleQuery).status, 200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken())
                   .value("idle", 0) == 1;
      },
      seconds(60)));
  std::vector<ProcessIdentity> children;
  for (const auto& instance : Instances().instances) {
    if (auto identity = IdentifyProcess(instance.pid)) children.push_back(*identity);
  }
  const auto pool = FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken());
  for (const auto& pid : pool.value("idle_pids", nlohmann::json::array())) {
    if (auto identity = IdentifyProcess(pid.get<int>())) children.push_back(*identity);
  }
  ASSERT_EQ(children.size(), 3u)
      << Instances().response.body << "\n"
      << FetchWarmPool(admin_http_, gateway().admin_port(), AdminToken()).dump();

  gateway().Kill();
  // Within a second of the gateway's death, nothing it started is left.
  const bool gone = WaitUntil(
      [&] {
        for (const auto& child : children) {
          if (IsRunning(child)) return false;
        }
        return true;
      },
      seconds(1), milliseconds(20));
  EXPECT_TRUE(gone) << "instances outlived the killed gateway";
}

}  // namespace
}  // namespace mcpgw::it
