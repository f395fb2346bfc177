#include "gateway/admin/tenant_admin.h"

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "gateway/admin/tenant_json.h"
#include "policies/dbhub_config.h"
#include "policies/instance_key.h"

namespace mcpgw::gateway {
namespace {

TenantAdminAnswer Error(http::status status, std::string_view code,
                        std::string_view message) {
  return {status, {{"error", {{"code", code}, {"message", message}}}}, {}};
}

TenantAdminAnswer FromStatus(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return Error(http::status::not_found, "not_found", message);
    case absl::StatusCode::kAlreadyExists:
      return Error(http::status::conflict, "conflict", message);
    case absl::StatusCode::kInvalidArgument:
      return Error(http::status::bad_request, "bad_request", message);
    default:
      return Error(http::status::internal_server_error, "internal", message);
  }
}

}  // namespace

std::optional<std::string> TenantBodyProblem(const nlohmann::json& body) {
  if (!body.is_object()) return "the body must be a JSON object";
  const auto string_field = [](const nlohmann::json& object,
                               std::string_view name,
                               std::string_view path) -> std::optional<std::string> {
    const auto it = object.find(name);
    if (it == object.end() || it->is_string()) return std::nullopt;
    return text::Cat(path, " must be a string");
  };
  for (const std::string_view name : {"id", "dsn", "label"}) {
    if (auto problem = string_field(body, name, name)) return problem;
  }
  if (const auto it = body.find("options");
      it != body.end() && !it->is_object()) {
    return "options must be a JSON object";
  }
  if (const auto it = body.find("sources"); it != body.end()) {
    if (!it->is_array()) {
      return "sources must be an array of {\"id\", \"dsn\"}";
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& source = (*it)[i];
      const std::string path = text::Cat("sources[", i, "]");
      if (!source.is_object()) {
        return text::Cat(path, " must be an object {\"id\", \"dsn\"}");
      }
      for (const std::string_view name : {"id", "dsn"}) {
        if (auto problem =
                string_field(source, name, text::Cat(path, ".", name))) {
          return problem;
        }
      }
    }
  }
  return std::nullopt;
}

int TenantAdmin::DrainRevision(std::string_view tenant, std::int64_t revision) {
  const std::string prefix = policies::KeyPrefix(
      policies::TenantInstanceKey(key_secret_, tenant, revision));
  {
    MutexLock lock(mutex_);
    drained_prefixes_[prefix] = {std::string(tenant), revision};
  }
  int drained = 0;
  for (const auto& instance : pool_.StateSnapshot()) {
    if (instance.key_prefix == prefix && !instance.draining &&
        pool_.Drain(instance.id).ok()) {
      ++drained;
      spdlog::info("tenant {}: draining instance {} of revision {}",
                   std::string(tenant), instance.id, revision);
    }
  }
  return drained;
}

std::vector<std::pair<std::string, std::int64_t>> TenantAdmin::CurrentRevisions() const {
  std::vector<std::pair<std::string, std::int64_t>> current;
  if (registry_ != nullptr) {
    for (const auto& tenant : registry_->List()) {
      current.emplace_back(tenant.id, tenant.revision);
    }
  } else if (declared_.revisions) {
    current = declared_.revisions();
  }
  return current;
}

std::optional<std::string> TenantAdmin::TenantOfKeyPrefix(
    std::string_view prefix) const {
  for (const auto& [id, revision] : CurrentRevisions()) {
    if (policies::KeyPrefix(policies::TenantInstanceKey(key_secret_, id, revision)) ==
        prefix) {
      return id;
    }
  }
  MutexLock lock(mutex_);
  auto it = drained_prefixes_.find(std::string(prefix));
  if (it == drained_prefixes_.end()) return std::nullopt;
  return it->second.tenant;
}

std::map<std::string, TenantAdmin::TenantRevision, std::less<>>
TenantAdmin::KeyPrefixTenants() const {
  std::map<std::string, TenantRevision, std::less<>> prefixes;
  {
    MutexLock lock(mutex_);
    for (const auto& [prefix, owner] : drained_prefixes_) prefixes[prefix] = owner;
  }
  for (const auto& [id, revision] : CurrentRevisions()) {
    prefixes[policies::KeyPrefix(policies::TenantInstanceKey(key_secret_, id, revision))] =
        {id, revision};
  }
  return prefixes;
}

std::optional<TenantAdminAnswer> TenantAdmin::PutSource(
    const std::string& tenant, const std::string& source,
    const nlohmann::json& dsn_json) {
  if (auto status = policies::ValidSourceId(source); !status.ok()) {
    return FromStatus(status);
  }
  if (!dsn_json.is_string()) {
    return Error(http::status::bad_request, "bad_request",
                 "a source needs \"dsn\": a string");
  }
  const std::string text(text::StripWhitespace(dsn_json.get<std::string>()));
  if (auto refused = rules_.CheckText(text)) {
    return Error(static_cast<http::status>(refused->http_status), "dsn_refused",
                 refused->message);
  }
  auto dsn = policies::ParseDsn(text);
  if (!dsn.ok()) {
    return Error(http::status::bad_request, "bad_request",
                 text::Cat("source ", source, ": ", dsn.status().message()));
  }
  if (auto refused = rules_.CheckDsn(*dsn)) {
    return Error(static_cast<http::status>(refused->http_status), "dsn_refused",
                 refused->message);
  }
  auto before = registry_->Get(tenant);
  auto put = registry_->PutSource(tenant, source, *dsn);
  if (!put.ok()) return FromStatus(put.status());
  if (before && before->revision != put->revision) {
    DrainRevision(tenant, before->revision);
  }
  return std::nullopt;
}

TenantAdminAnswer TenantAdmin::HandleDeclared(const TenantCall& call) const {
  if (!IsTenantRead(call.action)) {
    return Error(http::status::conflict, "conflict", declared_.managed_with);
  }
  if (call.action == TenantAction::kList) {
    return {http::status::ok, {{"tenants", declared_.list()}}, {}};
  }
  auto tenant = declared_.get(call.tenant);
  if (!tenant) return Error(http::status::not_found, "not_found", "no such tenant");
  return {http::status::ok, *tenant, {}};
}

TenantAdminAnswer TenantAdmin::Handle(const TenantCall& call,
                                      std::string_view body) {
  if (registry_ == nullptr) return HandleDeclared(call);
  nlohmann::json json = nlohmann::json::object();
  if (!IsTenantRead(call.action) && !body.empty()) {
    json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    // Every field read below has its type, or the answer is a 400 naming
    // the one that has not.
    if (auto problem = TenantBodyProblem(json)) {
      return Error(http::status::bad_request, "bad_request", *problem);
    }
  }
  const std::string& id = call.tenant;
  switch (call.action) {
    case TenantAction::kList: {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& tenant : registry_->List()) {
        list.push_back(TenantToJson(tenant));
      }
      return {http::status::ok, {{"tenants", list}}, {}};
    }
    case TenantAction::kCreate:
      return Create(json);
    case TenantAction::kGet: {
      auto tenant = registry_->Get(id);
      if (!tenant) return Error(http::status::not_found, "not_found", "no such tenant");
      return {http::status::ok, TenantToJson(*tenant), {}};
    }
    case TenantAction::kUpdate: {
      auto tenant = registry_->Get(id);
      if (!tenant) return Error(http::status::not_found, "not_found", "no such tenant");
      auto options = policies::TenantOptionsFromJson(
          json.value("options", nlohmann::json::object()), tenant->options);
      if (!options.ok()) return FromStatus(options.status());
      auto updated = registry_->UpdateOptions(id, *options);
      if (!updated.ok()) return FromStatus(updated.status());
      DrainRevision(id, tenant->revision);
      spdlog::info("admin: tenant {} options changed (revision {})", id,
                   updated->revision);
      return {http::status::ok, TenantToJson(*updated), {}};
    }
    case TenantAction::kDelete: {
      auto tenant = registry_->Get(id);
      if (!tenant) return Error(http::status::not_found, "not_found", "no such tenant");
      if (auto status = registry_->Delete(id); !status.ok()) return FromStatus(status);
      DrainRevision(id, tenant->revision);
      spdlog::info("admin: deleted tenant {}", id);
      return {http::status::ok, {{"id", id}, {"deleted", true}}, {}};
    }
    case TenantAction::kPutSource: {
      if (auto failed = PutSource(id, call.item, json.value("dsn", nlohmann::json()))) {
        return *failed;
      }
      spdlog::info("admin: tenant {} source {} set", id, call.item);
      return {http::status::ok, TenantToJson(*registry_->Get(id)), {}};
    }
    case TenantAction::kDeleteSource: {
      auto before = registry_->Get(id);
      auto updated = registry_->DeleteSource(id, call.item);
      if (!updated.ok()) return FromStatus(updated.status());
      if (before) DrainRevision(id, before->revision);
      spdlog::info("admin: tenant {} source {} removed", id, call.item);
      return {http::status::ok, TenantToJson(*updated), {}};
    }
    case TenantAction::kIssueToken: {
      const auto label = json.value("label", nlohmann::json(""));
      if (!label.is_string()) {
        return Error(http::status::bad_request, "bad_request", "label must be a string");
      }
      auto issued = registry_->IssueToken(id, label.get<std::string>());
      if (!issued.ok()) return FromStatus(issued.status());
      spdlog::info("admin: tenant {} token {} issued", id, issued->id);
      return {http::status::created,
              {{"tenant", id},
               {"id", issued->id},
               {"token", issued->token},
               {"note", "shown once: only its hash is stored"}},
              {{"Cache-Control", "no-store"}}};
    }
    case TenantAction::kRevokeToken: {
      if (auto status = registry_->RevokeToken(id, call.item); !status.ok()) {
        return FromStatus(status);
      }
      spdlog::info("admin: tenant {} token {} revoked", id, call.item);
      return {http::status::ok,
              {{"tenant", id}, {"id", call.item}, {"revoked", true}},
              {}};
    }
  }
  return Error(http::status::not_found, "not_found", "no such tenant endpoint");
}

TenantAdminAnswer TenantAdmin::Create(const nlohmann::json& json) {
  const std::string id = json.value("id", "");
  auto options = policies::TenantOptionsFromJson(
      json.value("options", nlohmann::json::object()), {});
  if (!options.ok()) return FromStatus(options.status());
  const auto sources = json.value("sources", nlohmann::json::array());
  if (!sources.is_array()) {
    return Error(http::status::bad_request, "bad_request",
                 "sources must be an array of {\"id\", \"dsn\"}");
  }
  auto created = registry_->Create(id, *options);
  if (!created.ok()) return FromStatus(created.status());
  for (const auto& source : sources) {
    const std::string source_id = source.is_object() ? source.value("id", "") : "";
    auto failed = PutSource(id, source_id,
                            source.is_object() ? source.value("dsn", nlohmann::json())
                                               : nlohmann::json());
    if (failed) {
      // All or nothing: a half-made tenant would surprise its owner.
      registry_->Delete(id).IgnoreError();
      return *failed;
    }
  }
  spdlog::info("admin: created tenant {}", id);
  return {http::status::created, TenantToJson(*registry_->Get(id)), {}};
}

}  // namespace mcpgw::gateway
