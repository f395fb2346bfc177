#include "test_support/sqlite_db.h"

#include <sqlite3.h>

#include <stdexcept>

namespace mcpgw::it {

std::string CreatePeopleDatabase(const std::filesystem::path& file) {
  const auto absolute = std::filesystem::absolute(file);
  sqlite3* db = nullptr;
  if (sqlite3_open(absolute.c_str(), &db) != SQLITE_OK) {
    const std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot create " + absolute.string() + ": " +
                             reason);
  }
  std::string sql =
      "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
  for (const auto& row : PeopleRows()) {
    sql += "INSERT INTO people(id, name) VALUES (" +
           std::to_string(row["id"].get<int>()) + ", '" +
           row["name"].get<std::string>() + "');";
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string reason = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot fill " + absolute.string() + ": " +
                             reason);
  }
  return "sqlite://" + absolute.string();
}

nlohmann::json PeopleRows() {
  return nlohmann::json::array({{{"id", 1}, {"name", "Ada"}},
                                {{"id", 2}, {"name", "Grace"}},
                                {{"id", 3}, {"name", "Linus"}}});
}

}  // namespace mcpgw::it
