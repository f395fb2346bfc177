#include "test_support/postgres_server.h"
#include "test_support/test_runtime.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "test_support/net_util.h"
#include "test_support/paths.h"
#include "test_support/process.h"

namespace mcpgw::it {
namespace {

constexpr std::chrono::seconds kCommandTimeout{90};
constexpr int kStartAttempts = 3;
constexpr const char* kServerUser = "postgres";

bool RunningAsRoot() { return geteuid() == 0; }

// argv for a PostgreSQL program, run as the `postgres` user if we are root.
std::vector<std::string> AsServerUser(const std::string& program,
                                      std::vector<std::string> args) {
  std::vector<std::string> argv;
  if (RunningAsRoot()) argv = {"runuser", "-u", kServerUser, "--"};
  argv.push_back(PostgresBinDir() + "/" + program);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

void GiveToServerUser(const std::string& path, mode_t mode) {
  if (RunningAsRoot()) {
    const passwd* user = getpwnam(kServerUser);
    if (user == nullptr) {
      throw std::runtime_error("no 'postgres' user on this machine");
    }
    if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("chown " + path + " failed");
    }
  }
  chmod(path.c_str(), mode);
}

void WriteFile(const std::string& path, const std::string& text,
               std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::out | mode);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

PostgresServer::~PostgresServer() { Stop(); }

std::string PostgresServer::Dsn() const {
  // Pods reach this machine at the cluster bridge's address, not loopback.
  const std::string host = UnderKubernetesRuntime() ? KubeNodeIp() : "127.0.0.1";
  return std::string("postgres://") + kUser + ":" + kPassword + "@" + host +
         ":" + std::to_string(port_) + "/" + kDatabase +
         "?sslmode=disable";
}

void PostgresServer::Start() {
  base_ = std::make_unique<TempDir>("mcpgw-it-pg");
  chmod(base_->path().c_str(), 0755);  // the server user must get through
  pg_dir_ = (base_->path() / "pg").string();
  std::filesystem::create_directories(pg_dir_ + "/data");
  std::filesystem::create_directories(pg_dir_ + "/sock");
  GiveToServerUser(pg_dir_, 0700);
  GiveToServerUser(pg_dir_ + "/data", 0700);
  GiveToServerUser(pg_dir_ + "/sock", 0700);
  InitDataDirectory();

  std::string failures;
  for (int attempt = 0; attempt < kStartAttempts && !running_; ++attempt) {
    std::string failure;
    if (StartOnPort(PickFreePort(), failure)) break;
    failures += failure + "\n";
  }
  if (!running_) {
    throw std::runtime_error("PostgreSQL did not start:\n" + failures);
  }

  RunSql("postgres", std::string("CREATE ROLE ") + kUser +
                         " LOGIN PASSWORD '" + kPassword + "';\n" +
                         "CREATE DATABASE " + kDatabase + " OWNER " + kUser +
                         ";\n");
  RunSql(kDatabase, std::string("SET ROLE ") + kUser + ";\n" +
                        "CREATE TABLE products(id integer PRIMARY KEY, "
                        "name text NOT NULL, qty integer NOT NULL);\n"
                        "INSERT INTO products VALUES (1, 'apple', 5), "
                        "(2, 'pear', 7), (3, 'plum', 0);\n");

  // The role really needs its password over TCP (PGPASSWORD travels in the
  // environment, never on a command line).
  SpawnSpec check;
  check.argv = {PostgresBinDir() + "/psql", "-X", "-A", "-t", "-w", "-c",
                "SELECT count(*) FROM products",
                std::string("host=127.0.0.1 port=") + std::to_string(port_) +
                    " user=" + kUser + " dbname=" + kDatabase +
                    " sslmode=disable"};
  check.working_dir = base_->path();
  check.extra_env = {std::string("PGPASSWORD=") + kPassword};
  const auto with_password = RunCommand(check, kCommandTimeout);
  if (!with_password.ok() ||
      with_password.output.find('3') == std::string::npos) {
    throw std::runtime_error("password login over TCP failed: " +
                             with_password.Describe());
  }
  check.extra_env = {"PGPASSWORD=wrong-password"};
  if (RunCommand(check, kCommandTimeout).ok()) {
    throw std::runtime_error(
        "PostgreSQL accepted a wrong password: auth is not enforced");
  }
}

void PostgresServer::InitDataDirectory() {
  SpawnSpec init;
  init.argv = AsServerUser(
      "initdb", {"-D", pg_dir_ + "/data", "-U", "postgres", "-A", "trust",
                 "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                 "--no-sync", "--no-instructions"});
  init.working_dir = base_->path();
  const auto result = RunCommand(init, kCommandTimeout);
  if (!result.ok()) {
    throw std::runtime_error("initdb failed: " + result.Describe());
  }
  WriteFile(pg_dir_ + "/data/postgresql.conf",
            "\n# mcp-gateway integration tests\n"
            "listen_addresses = '127.0.0.1" +
                (UnderKubernetesRuntime() ? "," + KubeNodeIp() : std::string()) +
                "'\n"
            "unix_socket_directories = '" + pg_dir_ + "/sock'\n"
            "password_encryption = 'scram-sha-256'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n",
            std::ios::app);
  if (UnderKubernetesRuntime()) {
    WriteFile(pg_dir_ + "/data/pg_hba.conf",
              "host all all " + KubeNodeIp() + "/24 scram-sha-256\n",
              std::ios::app);
  }
}

bool PostgresServer::StartOnPort(int port, std::string& failure) {
  SpawnSpec start;
  start.argv = AsServerUser(
      "pg_ctl", {"-D", pg_dir_ + "/data", "-l", pg_dir_ + "/server.log", "-o",
                 "-p " + std::to_string(port), "-w", "-t", "60", "start"});
  start.working_dir = base_->path();
  const auto result = RunCommand(start, kCommandTimeout);
  if (!result.ok()) {
    failure = "port " + std::to_string(port) + ": " + result.Describe() +
              "\nserver log:\n" + ReadFileOrEmpty(pg_dir_ + "/server.log");
    return false;
  }
  port_ = port;
  running_ = true;
  return true;
}

void PostgresServer::Restart() {
  if (!running_) throw std::runtime_error("PostgreSQL is not running");
  SpawnSpec restart;
  restart.argv = AsServerUser(
      "pg_ctl", {"-D", pg_dir_ + "/data", "-l", pg_dir_ + "/server.log", "-o",
                 "-p " + std::to_string(port_), "-m", "immediate", "-w", "-t",
                 "60", "restart"});
  restart.working_dir = base_->path();
  const auto result = RunCommand(restart, kCommandTimeout);
  if (!result.ok()) {
    throw std::runtime_error("pg_ctl restart failed: " + result.Describe() +
                             "\nserver log:\n" +
                             ReadFileOrEmpty(pg_dir_ + "/server.log"));
  }
}

void PostgresServer::RunSql(const std::string& database,
                            const std::string& sql) {
  // The SQL (it holds the password) goes through a file, not argv.
  const std::string script = pg_dir_ + "/setup.sql";
  WriteFile(script, sql);
  GiveToServerUser(script, 0600);
  SpawnSpec psql;
  psql.argv = AsServerUser(
      "psql", {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg_dir_ + "/sock",
               "-p", std::to_string(port_), "-U", "postgres", "-d", database,
               "-f", script});
  psql.working_dir = base_->path();
  const auto result = RunCommand(psql, kCommandTimeout);
  std::filesystem::remove(script);
  if (!result.ok()) {
    throw std::runtime_error("psql on " + database +
                             " failed: " + result.Describe());
  }
}

int PostgresServer::ActiveQueries(const std::string& fragment) {
  // Not this psql's own query, which names the fragment too.
  const std::string sql =
      "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
      "pid <> pg_backend_pid() AND strpos(query, '" + fragment + "') > 0";
  SpawnSpec psql;
  psql.argv = AsServerUser(
      "psql", {"-X", "-A", "-t", "-h", pg_dir_ + "/sock", "-p",
               std::to_string(port_), "-U", "postgres", "-d", kDatabase, "-c",
               sql});
  psql.working_dir = base_->path();
  const auto result = RunCommand(psql, kCommandTimeout);
  if (!result.ok()) {
    throw std::runtime_error("psql on " + std::string(kDatabase) +
                             " failed: " + result.Describe());
  }
  try {
    return std::stoi(result.output);
  } catch (const std::exception&) {
    throw std::runtime_error("unexpected psql output: " + result.output);
  }
}

void PostgresServer::Stop() {
  if (running_) {
    SpawnSpec stop;
    stop.argv = AsServerUser("pg_ctl", {"-D", pg_dir_ + "/data", "-m",
                                        "immediate", "-w", "-t", "30", "stop"});
    stop.working_dir = base_->path();
    RunCommand(stop, kCommandTimeout);
    running_ = false;
  }
  base_.reset();
}

nlohmann::json ProductsRows() {
  return nlohmann::json::array(
      {{{"id", 1}, {"name", "apple"}, {"qty", 5}},
       {{"id", 2}, {"name", "pear"}, {"qty", 7}},
       {{"id", 3}, {"name", "plum"}, {"qty", 0}}});
}

namespace {

// Owns the shared server; gtest calls TearDown after the last test.
class SharedPostgresEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (server != nullptr) server->Stop();
    server.reset();
  }
  std::unique_ptr<PostgresServer> server;
  std::optional<std::string> failure;
};

SharedPostgresEnvironment* const kSharedPostgres =
    static_cast<SharedPostgresEnvironment*>(
        ::testing::AddGlobalTestEnvironment(new SharedPostgresEnvironment));

}  // namespace

PostgresServer& SharedPostgres() {
  auto& env = *kSharedPostgres;
  if (env.failure.has_value()) throw std::runtime_error(*env.failure);
  if (env.server == nullptr) {
    auto server = std::make_unique<PostgresServer>();
    try {
      server->Start();
    } catch (const std::exception& e) {
      env.failure = e.what();
      throw;
    }
    env.server = std::move(server);
  }
  return *env.server;
}

}  // namespace mcpgw::it
