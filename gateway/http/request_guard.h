#pragma once
// Everything the gateway checks between "this request resolves to that
// target" and "lease its instance": the DSN rules on the addresses the host
// resolves to, request rates (token buckets per tenant and per DSN key), a
// tenant's instance cap, and the bound on concurrent requests per instance
// (a short queue, then 503). It also turns the target into what the pool
// launches: the DSN, or a tenant's generated DBHub config and the secrets it
// reads from the environment. The decisions are policies/; this class only
// does the I/O they need (name resolution, waiting for a slot).

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/mutex.h"
#include "gateway/http/http_types.h"
#include "gateway/mcp/jsonrpc_error.h"
#include "policies/dbhub_config.h"
#include "policies/dsn_rules.h"
#include "policies/rate_limiter.h"
#include "policies/target.h"
#include "runtime/pool_api.h"

namespace mcpgw::gateway {

struct GuardOptions {
  // --readonly / --max-rows for DSN requests (tenants have their own).
  policies::ToolPolicy dsn_tools;
  policies::RateLimit dsn_rate;     // per DSN instance key
  policies::RateLimit tenant_rate;  // per tenant, unless the tenant sets one
  // Concurrent requests per instance (0: unbounded) and how many more may
  // wait for one of them before the gateway answers 503.
  int max_concurrent_per_instance = 0;
  int max_queued_per_instance = 16;
  std::chrono::milliseconds max_queue_wait{30'000};
  // Skip name resolution (tests of the request path without DNS).
  bool resolve_hosts = true;
  // How long a host name's verdict is reused: resolving on every request
  // would cost each one a resolver round trip.
  std::chrono::milliseconds resolve_cache_ttl{10'000};
};

class ConcurrencyGate;

// Holds one concurrency slot of one instance key until destroyed.
class Slot {
 public:
  Slot() = default;
  Slot(std::shared_ptr<ConcurrencyGate> gate, std::string key);
  Slot(Slot&& other) noexcept = default;
  Slot& operator=(Slot&& other) noexcept;
  ~Slot();

 private:
  std::shared_ptr<ConcurrencyGate> gate_;
  std::string key_;
};

class RequestGuard {
 public:
  // Rates and the host-verdict cache are timed on `clock`.
  RequestGuard(runtime::InstancePoolApi& pool, const policies::DsnPolicy& rules,
               const common::Clock& clock, GuardOptions options);

  // Admits a request for `target`: under max-concurrent-per-instance,
  // fills `slot` with the slot it holds; else the refusal. (An
  // out-parameter: the caller's coroutine frame keeps it once.)
  asio::awaitable<std::optional<ErrorReply>> Admit(
      const policies::Target& target, Slot& slot);

  // What the pool launches for a target admitted here (with the DSN's tool
  // rules). Built only where the instance is not ready: it copies the
  // target's DSN and secrets.
  runtime::AcquireRequest LaunchRequestFor(const policies::Target& target) const {
    return LaunchRequest(target, options_.dsn_tools);
  }

  // What the pool launches for a target (pure; exposed for tests).
  static runtime::AcquireRequest LaunchRequest(
      const policies::Target& target, const policies::ToolPolicy& dsn_tools);

  // The tenant an instance key prefix belongs to, if one of ours.
  std::optional<std::string> TenantOfKeyPrefix(const std::string& prefix) const;

 private:
  // The host names of `target` whose addresses must be resolved and
  // checked now: named (not literal), and not passed within the cache's
  // TTL. Most requests have none (sqlite, a literal address, a recent
  // answer), and then no resolver is made for them.
  std::vector<std::string> HostsToResolve(const policies::Target& target);
  asio::awaitable<std::optional<ErrorReply>> ResolveAndCheck(
      std::vector<std::string> hosts);
  std::optional<ErrorReply> CheckRate(const policies::Target& target);
  std::optional<ErrorReply> CheckTenantInstances(const policies::Target& target);
  // max-concurrent-per-instance: a slot on the instance `key`, waited for
  // in its queue while all are taken.
  asio::awaitable<std::optional<ErrorReply>> TakeSlot(const std::string& key,
                                                      Slot& slot);
  ErrorReply QueueFullReply() const;
  static ErrorReply WaitedTooLongReply();

  runtime::InstancePoolApi& pool_;
  const policies::DsnPolicy& rules_;
  const common::Clock& clock_;
  const GuardOptions options_;
  policies::RateLimiter rates_;
  std::shared_ptr<ConcurrencyGate> gate_;
  mutable Mutex mutex_;
  // Key prefixes handed out per tenant (its instances, any revision).
  std::unordered_map<std::string, std::string> tenant_of_prefix_
      ABSL_GUARDED_BY(mutex_);
  // Host names whose addresses passed the rules, until when.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point>
      resolved_ok_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mcpgw::gateway
