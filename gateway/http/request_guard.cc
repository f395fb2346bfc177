#include "gateway/http/request_guard.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/text.h"
#include "policies/instance_key.h"

namespace mcpgw::gateway {

// Per-key counters of running requests and a FIFO of waiting ones. A
// release hands its slot straight to the first waiter.
class ConcurrencyGate {
 public:
  struct Waiter {
    explicit Waiter(asio::any_io_executor executor) : timer(executor) {}
    asio::steady_timer timer;
    bool granted = false;  // under the gate's mutex
  };
  struct Entry {
    int active = 0;
    std::deque<std::shared_ptr<Waiter>> waiters;
  };

  Mutex mutex;
  // The entries, and the waiters in them, are under `mutex`.
  std::unordered_map<std::string, Entry> entries ABSL_GUARDED_BY(mutex);

  void Release(const std::string& key) {
    MutexLock lock(mutex);
    auto it = entries.find(key);
    if (it == entries.end()) return;
    auto& entry = it->second;
    if (!entry.waiters.empty()) {
      auto waiter = entry.waiters.front();
      entry.waiters.pop_front();
      waiter->granted = true;  // the slot moves over; active stays
      // Timers are not thread-safe: cancel on the waiter's own executor.
      asio::post(waiter->timer.get_executor(),
                 [waiter] { waiter->timer.cancel(); });
      return;
    }
    if (--entry.active <= 0) entries.erase(it);
  }
};

Slot::Slot(std::shared_ptr<ConcurrencyGate> gate, std::string key)
    : gate_(std::move(gate)), key_(std::move(key)) {}

Slot& Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    if (gate_) gate_->Release(key_);
    gate_ = std::move(other.gate_);
    key_ = std::move(other.key_);
  }
  return *this;
}

Slot::~Slot() {
  if (gate_) gate_->Release(key_);
}

namespace {

ErrorReply FromRefusal(const policies::Refusal& refusal) {
  return ErrorReply{static_cast<http::status>(refusal.http_status),
                    refusal.rpc_code, refusal.message, {}};
}

ErrorReply TooMany(int rpc_code, std::string message,
                   std::chrono::milliseconds wait) {
  return ErrorReply{http::status::too_many_requests, rpc_code,
                    std::move(message),
                    {{"Retry-After",
                      std::to_string(policies::RetryAfterSeconds(wait))}}};
}

}  // namespace

RequestGuard::RequestGuard(runtime::InstancePoolApi& pool,
                           const policies::DsnPolicy& rules,
                           const common::Clock& clock, GuardOptions options)
    : pool_(pool),
      rules_(rules),
      clock_(clock),
      options_(options),
      gate_(std::make_shared<ConcurrencyGate>()) {}

runtime::AcquireRequest RequestGuard::LaunchRequest(
    const policies::Target& target, const policies::ToolPolicy& dsn_tools) {
  runtime::AcquireRequest request;
  request.key = target.key;
  request.redacted_target = target.dsn.redacted;
  request.secrets = target.dsn.secrets;
  if (!target.tenant) {
    request.dsn = target.dsn.original;
    if (dsn_tools.restricts()) {
      // DBHub reads DSN from its environment, as for a plain DSN instance.
      request.dbhub_config =
          policies::DbhubConfigToml({{"main", "DSN"}}, dsn_tools);
    }
    return request;
  }
  const auto& tenant = *target.tenant;
  policies::ToolPolicy tools;
  tools.readonly = tenant.options.readonly;
  tools.max_rows = tenant.options.max_rows;
  std::vector<policies::ConfigSource> sources;
  for (std::size_t i = 0; i < tenant.sources.size(); ++i) {
    const auto& source = tenant.sources[i];
    if (!source.connection) {
      const std::string var = text::Cat("MCPGW_SOURCE_", i, "_DSN");
      sources.push_back({source.id, var});
      request.secret_env.push_back(text::Cat(var, "=", source.dsn.original));
      continue;
    }
    // A declared database: DBHub connects with its fields and the pod reads
    // the user and password from the user's Secret; the gateway never
    // holds them.
    const auto& connection = *source.connection;
    policies::ConfigSource config{source.id, "", connection};
    if (connection.credentials) {
      config.user_var = text::Cat("MCPGW_SOURCE_", i, "_USER");
      config.password_var = text::Cat("MCPGW_SOURCE_", i, "_PASSWORD");
      request.secret_key_env.push_back({config.user_var,
                                        connection.credentials->secret,
                                        connection.credentials->user_key});
      request.secret_key_env.push_back({config.password_var,
                                        connection.credentials->secret,
                                        connection.credentials->password_key});
    }
    if (connection.readonly || connection.max_rows) {
      policies::ToolPolicy own = tools;
      if (connection.readonly) own.readonly = *connection.readonly;
      if (connection.max_rows) own.max_rows = connection.max_rows;
      config.tools = own;
    }
    sources.push_back(std::move(config));
  }
  request.dbhub_config = policies::DbhubConfigToml(sources, tools);
  request.idle_timeout = tenant.options.idle_timeout;
  return request;
}

std::vector<std::string> RequestGuard::HostsToResolve(
    const policies::Target& target) {
  std::vector<std::string> hosts;
  if (!options_.resolve_hosts) return hosts;
  const auto now = clock_.Now();
  const auto consider = [&](const policies::Dsn& dsn) {
    const std::string& host = dsn.host;
    if (host.empty()) return;
    // A literal address was checked with the DSN (CheckDsn).
    boost::system::error_code literal_error;
    asio::ip::make_address(host, literal_error);
    if (!literal_error) return;
    MutexLock lock(mutex_);
    const auto it = resolved_ok_.find(host);
    if (it != resolved_ok_.end() && it->second > now) return;
    hosts.push_back(host);
  };
  if (target.tenant) {
    for (const auto& source : target.tenant->sources) consider(source.dsn);
  } else {
    consider(target.dsn);
  }
  return hosts;
}

asio::awaitable<std::optional<ErrorReply>> RequestGuard::ResolveAndCheck(
    std::vector<std::string> hosts) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  for (const auto& host : hosts) {
    auto [ec, results] = co_await resolver.async_resolve(
        host, "", asio::as_tuple(asio::use_awaitable));
    std::vector<asio::ip::address> addresses;
    if (!ec) {
      for (const auto& entry : results) {
        addresses.push_back(entry.endpoint().address());
      }
    }
    if (auto refused = rules_.CheckAddresses(host, addresses)) {
      co_return FromRefusal(*refused);
    }
    MutexLock lock(mutex_);
    if (resolved_ok_.size() > 10'000) resolved_ok_.clear();
    resolved_ok_[host] = clock_.Now() + options_.resolve_cache_ttl;
  }
  co_return std::nullopt;
}

std::optional<ErrorReply> RequestGuard::CheckRate(const policies::Target& target) {
  const auto now = clock_.Now();
  if (target.tenant) {
    policies::RateLimit limit = options_.tenant_rate;
    if (target.tenant->options.rate_per_second) {
      limit.per_second = *target.tenant->options.rate_per_second;
      limit.burst = target.tenant->options.rate_burst.value_or(0);
    }
    if (auto wait = rates_.TryTake(text::Cat("tenant:", target.tenant->id),
                                   limit, now)) {
      return TooMany(policies::rpc_code::kRateLimited,
                     text::Cat("refused by rule rate-limit: tenant ",
                               target.tenant->id, " is over ", limit.per_second,
                               " requests per second; retry later"),
                     *wait);
    }
    return std::nullopt;
  }
  if (auto wait = rates_.TryTake(text::Cat("dsn:", target.key),
                                 options_.dsn_rate, now)) {
    return TooMany(policies::rpc_code::kRateLimited,
                   text::Cat("refused by rule rate-limit: this database is "
                             "over ",
                             options_.dsn_rate.per_second,
                             " requests per second; retry later"),
                   *wait);
  }
  return std::nullopt;
}

std::optional<ErrorReply> RequestGuard::CheckTenantInstances(
    const policies::Target& target) {
  if (!target.tenant) return std::nullopt;
  const std::string prefix = policies::KeyPrefix(target.key);
  std::set<std::string> prefixes;
  {
    MutexLock lock(mutex_);
    tenant_of_prefix_[prefix] = target.tenant->id;
    for (const auto& [p, tenant] : tenant_of_prefix_) {
      if (tenant == target.tenant->id) prefixes.insert(p);
    }
  }
  if (!target.tenant->options.max_instances) return std::nullopt;
  int live = 0;
  // The pool's state only: this is the request path, where the runtime's
  // facts (/proc reads) would block an I/O thread.
  for (const auto& instance : pool_.StateSnapshot()) {
    if (instance.state == runtime::InstanceState::kStopping) continue;
    // Its current instance is always reachable.
    if (instance.key_prefix == prefix) return std::nullopt;
    if (prefixes.count(instance.key_prefix) > 0) ++live;
  }
  if (live >= *target.tenant->options.max_instances) {
    return TooMany(policies::rpc_code::kTenantLimit,
                   text::Cat("refused by rule max-instances: tenant ",
                             target.tenant->id, " already runs ", live,
                             " instances (its limit); retry once the old "
                             "ones have drained"),
                   std::chrono::seconds(1));
  }
  return std::nullopt;
}

std::optional<std::string> RequestGuard::TenantOfKeyPrefix(
    const std::string& prefix) const {
  MutexLock lock(mutex_);
  auto it = tenant_of_prefix_.find(prefix);
  if (it == tenant_of_prefix_.end()) return std::nullopt;
  return it->second;
}

asio::awaitable<std::optional<ErrorReply>> RequestGuard::Admit(
    const policies::Target& target, Slot& slot) {
  if (auto refused = CheckRate(target)) co_return refused;
  if (auto hosts = HostsToResolve(target); !hosts.empty()) {
    // Named, not inside the condition (GCC 12 and co_await, mcp_bridge.cc).
    auto refused = co_await ResolveAndCheck(std::move(hosts));
    if (refused) co_return refused;
  }
  if (auto refused = CheckTenantInstances(target)) co_return refused;

  if (options_.max_concurrent_per_instance <= 0) co_return std::nullopt;
  co_return co_await TakeSlot(target.key, slot);
}

ErrorReply RequestGuard::QueueFullReply() const {
  return ErrorReply{
      http::status::service_unavailable, policies::rpc_code::kInstanceBusy,
      text::Cat("refused by rule max-concurrent-per-instance: ",
                options_.max_concurrent_per_instance, " requests run and ",
                options_.max_queued_per_instance,
                " wait on this instance; retry shortly"),
      {{"Retry-After", "1"}}};
}

ErrorReply RequestGuard::WaitedTooLongReply() {
  return ErrorReply{
      http::status::service_unavailable, policies::rpc_code::kInstanceBusy,
      "refused by rule max-concurrent-per-instance: waited too long for "
      "this instance; retry shortly",
      {{"Retry-After", "1"}}};
}

asio::awaitable<std::optional<ErrorReply>> RequestGuard::TakeSlot(
    const std::string& key, Slot& slot) {
  const auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<ConcurrencyGate::Waiter> waiter;
  {
    MutexLock lock(gate_->mutex);
    auto& entry = gate_->entries[key];
    if (entry.active < options_.max_concurrent_per_instance) {
      ++entry.active;
      slot = Slot(gate_, key);
      co_return std::nullopt;
    }
    if (static_cast<int>(entry.waiters.size()) >=
        options_.max_queued_per_instance) {
      co_return QueueFullReply();
    }
    waiter = std::make_shared<ConcurrencyGate::Waiter>(executor);
    waiter->timer.expires_after(options_.max_queue_wait);
    entry.waiters.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  {
    MutexLock lock(gate_->mutex);
    if (!waiter->granted) {
      auto& waiters = gate_->entries[key].waiters;
      std::erase(waiters, waiter);
      co_return WaitedTooLongReply();
    }
  }
  slot = Slot(gate_, key);
  co_return std::nullopt;
}

}  // namespace mcpgw::gateway
