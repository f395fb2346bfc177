#pragma once
// SQLite database files with known content, made with the sqlite3 C API.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpgw::it {

// Creates `file` with table people(id INTEGER PRIMARY KEY, name TEXT) holding
// the rows of kPeopleRows. Returns the DSN for it (sqlite:///abs/path).
// Throws std::runtime_error on failure.
std::string CreatePeopleDatabase(const std::filesystem::path& file);

// The rows of people ordered by id, as DBHub returns them.
nlohmann::json PeopleRows();

inline constexpr const char* kPeopleQuery =
    "SELECT id, name FROM people ORDER BY id";

}  // namespace mcpgw::it
