#pragma once
// A private PostgreSQL 15 server for the tests: its own data directory and
// loopback port, a role with a real password (SCRAM over TCP), a database
// with a known table. Runs as the `postgres` user when the tests run as root
// (postgres refuses to run as root).

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support/temp_dir.h"

namespace mcpgw::it {

class PostgresServer {
 public:
  static constexpr const char* kUser = "alice";
  static constexpr const char* kPassword = "S3cret-pw_123";
  static constexpr const char* kDatabase = "shop";

  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // initdb, start, create role/database/table, check a password login over
  // TCP. Throws std::runtime_error (with the server's output) on failure.
  void Start();
  // Stops the server (immediate mode) and deletes its files.
  void Stop();
  // Crash-restarts the server on the same port and data (pg_ctl restart -m
  // immediate: every client connection is cut). Throws on failure.
  void Restart();

  int port() const { return port_; }
  // How many sessions are running a statement that contains `fragment`
  // (pg_stat_activity): a test waits for a query to reach the database.
  int ActiveQueries(const std::string& fragment);
  // postgres://alice:S3cret-pw_123@127.0.0.1:PORT/shop?sslmode=disable
  std::string Dsn() const;

 private:
  void InitDataDirectory();
  bool StartOnPort(int port, std::string& failure);
  void RunSql(const std::string& database, const std::string& sql);

  std::unique_ptr<TempDir> base_;
  std::string pg_dir_;  // owned by the server's user: data, socket, log
  int port_ = 0;
  bool running_ = false;
};

// The products table as DBHub returns `kProductsQuery`.
nlohmann::json ProductsRows();
inline constexpr const char* kProductsQuery =
    "SELECT id, name, qty FROM products ORDER BY id";

// One server for the whole test binary, started on first use and stopped
// when the tests end. Throws (every time) if it could not be started.
PostgresServer& SharedPostgres();

}  // namespace mcpgw::it
