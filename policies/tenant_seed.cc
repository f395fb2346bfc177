#include "policies/tenant_seed.h"

#include <toml++/toml.h>

#include "common/text.h"
#include "policies/dbhub_config.h"

namespace mcpgw::policies {
namespace {

absl::Status Error(const std::filesystem::path& file, std::string_view where,
                   absl::string_view what) {
  return absl::InvalidArgumentError(
      text::Cat(file.string(), ": ", where, ": ", what));
}

}  // namespace

absl::StatusOr<std::string> InterpolateEnv(std::string_view text,
                                           const EnvLookup& env) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto start = text.find("${", pos);
    if (start == std::string_view::npos) break;
    const auto end = text.find('}', start + 2);
    if (end == std::string_view::npos) break;
    out.append(text.substr(pos, start - pos));
    const std::string name(text.substr(start + 2, end - start - 2));
    auto value = env(name);
    if (!value) {
      return absl::NotFoundError(
          text::Cat("environment variable ", name, " is not set"));
    }
    out += *value;
    pos = end + 1;
  }
  out.append(text.substr(pos));
  return out;
}

absl::StatusOr<SeedResult> SeedTenants(TenantRegistry& registry,
                                       const std::filesystem::path& file,
                                       const DsnPolicy& rules,
                                       const EnvLookup& env) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        text::Cat(file.string(), ": ", error.description()));
  }
  SeedResult result;
  const toml::array* tenants = root["tenants"].as_array();
  if (tenants == nullptr) {
    return Error(file, "top level", "expected [[tenants]] entries");
  }
  for (const auto& node : *tenants) {
    const toml::table* t = node.as_table();
    if (t == nullptr) return Error(file, "[[tenants]]", "not a table");
    const std::string id = (*t)["id"].value_or(std::string());
    if (auto status = ValidTenantId(id); !status.ok()) {
      return Error(file, "[[tenants]] id", status.message());
    }
    const std::string where = text::Cat("tenant ", id);
    // Options as JSON, checked by the same code as the admin API's.
    nlohmann::json options = nlohmann::json::object();
    for (const auto& [key, value] : *t) {
      const std::string name(key.str());
      if (name == "id" || name == "sources" || name == "token_sha256") continue;
      if (auto b = value.value<bool>(); value.is_boolean() && b) {
        options[name] = *b;
      } else if (value.is_integer()) {
        options[name] = *value.value<std::int64_t>();
      } else if (value.is_floating_point()) {
        options[name] = *value.value<double>();
      } else {
        return Error(file, where, text::Absl(text::Cat("option ", name, " has a wrong type")));
      }
    }
    auto existing = registry.Get(id);
    auto parsed = TenantOptionsFromJson(options, TenantOptions{});
    if (!parsed.ok()) return Error(file, where, parsed.status().message());
    if (!existing) {
      auto created = registry.Create(id, *parsed);
      if (!created.ok()) return Error(file, where, created.status().message());
      ++result.tenants;
    } else if (TenantOptionsToJson(existing->options) !=
               TenantOptionsToJson(*parsed)) {
      auto updated = registry.UpdateOptions(id, *parsed);
      if (!updated.ok()) return Error(file, where, updated.status().message());
      ++result.tenants;
    }
    if (const toml::array* sources = (*t)["sources"].as_array()) {
      for (const auto& source_node : *sources) {
        const toml::table* s = source_node.as_table();
        if (s == nullptr) return Error(file, where, "a source is not a table");
        const std::string source_id = (*s)["id"].value_or(std::string());
        if (auto status = ValidSourceId(source_id); !status.ok()) {
          return Error(file, where, status.message());
        }
        const std::string source_where = text::Cat(where, " source ", source_id);
        auto dsn_text =
            InterpolateEnv((*s)["dsn"].value_or(std::string()), env);
        if (!dsn_text.ok()) {
          return Error(file, source_where, dsn_text.status().message());
        }
        if (auto refused = rules.CheckText(*dsn_text)) {
          return Error(file, source_where, text::Absl(refused->message));
        }
        auto dsn = ParseDsn(*dsn_text);
        if (!dsn.ok()) return Error(file, source_where, dsn.status().message());
        if (auto refused = rules.CheckDsn(*dsn)) {
          return Error(file, source_where, text::Absl(refused->message));
        }
        auto put = registry.PutSource(id, source_id, *dsn);
        if (!put.ok()) return Error(file, source_where, put.status().message());
        ++result.sources;
      }
    }
    if (const toml::array* hashes = (*t)["token_sha256"].as_array()) {
      for (const auto& hash : *hashes) {
        auto status = registry.AddTokenHash(
            id, hash.value_or(std::string()), "seed file");
        if (!status.ok()) return Error(file, where, status.message());
        ++result.tokens;
      }
    }
  }
  return result;
}

}  // namespace mcpgw::policies
