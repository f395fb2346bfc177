#include "mcp_load/load_runner.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/strings/numbers.h"
#include "common/mutex.h"
#include "mcp_load/http_connection.h"

namespace mcpgw::loadtest {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

constexpr std::size_t kSampleErrorBodyChars = 200;

// The phases of a run, fixed before the first request.
struct Window {
  Clock::time_point start;
  Clock::time_point warmup_end;
  Clock::time_point end;
};

// State shared by all workers.
struct Shared {
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::uint64_t> measured_tickets{0};
  std::atomic<std::uint64_t> next_dsn{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> stopped_by_count{false};
};

// What every worker reads and nobody changes.
struct Plan {
  std::uint64_t fixed_id = 0;  // --fixed-id; 0: from Shared::next_id
  RequestBody call;
  RequestBody initialize;
  std::vector<std::string> dsns;  // empty without --dsn
};

std::uint64_t NextId(const Plan& plan, Shared& shared) {
  return plan.fixed_id != 0 ? plan.fixed_id
                            : shared.next_id.fetch_add(1, std::memory_order_relaxed);
}

struct Worker {
  PhaseStats warmup;
  PhaseStats measured;
  SessionStats sessions;
  Clock::time_point first_send = Clock::time_point::max();
  Clock::time_point last_done = Clock::time_point::min();
  std::uint64_t connects = 0;
};

// One MCP session of one connection with one DSN.
struct Session {
  bool open = false;
  std::string id;       // empty when the server issued none
  std::string version;  // negotiated protocol version
};

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kProtocolHeader[] = "MCP-Protocol-Version";
constexpr auto kDefaultRetryWait = std::chrono::milliseconds(200);

// When worker `index` should send its `k`-th request. Closed loop: now.
// Open loop (wrk2-style): connection i owns slots i, i+C, i+2C, ... of a global
// schedule of `rate` requests per second, so the total rate is exact and a
// late answer shows up as latency instead of as fewer requests.
Clock::time_point IntendedSendTime(const Options& o, const Window& w, int index,
                                   std::uint64_t k) {
  if (o.rate <= 0) return Clock::now();
  double slot = static_cast<double>(k) * o.concurrency + index;
  auto offset = std::chrono::duration<double>(slot / o.rate);
  return w.start + std::chrono::duration_cast<Clock::duration>(offset);
}

// The request every connection reuses; the body, the DSN and the session
// headers change per request.
HttpConnection::Request MakeRequestTemplate(const Options& o) {
  HttpConnection::Request req{http::verb::post, o.endpoint.target, 11};
  req.set(http::field::host, o.endpoint.host_header);
  req.set(http::field::user_agent, "mcp-load");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  req.keep_alive(true);
  for (const Header& h : o.headers) req.set(h.name, h.value);
  return req;
}

Outcome Classify(const Exchange& x, std::uint64_t id) {
  return x.timed_out        ? Outcome::kTimeout
         : x.protocol_error ? Outcome::kHttpProtocol
         : x.ec             ? Outcome::kTransport
                            : ClassifyResponse(x.status, x.content_type, x.body, id);
}

std::string Describe(Outcome outcome, const Exchange& x) {
  if (x.ec) return std::string(OutcomeName(outcome)) + ": " + x.ec.message();
  return std::string(OutcomeName(outcome)) + ": HTTP " + std::to_string(x.status) + " " +
         x.body.substr(0, kSampleErrorBodyChars);
}

void Account(PhaseStats& s, Outcome outcome, const Exchange& x, std::chrono::nanoseconds latency) {
  ++s.requests;
  ++s.by_outcome[static_cast<std::size_t>(outcome)];
  if (!x.ec) ++s.http_status[x.status];
  if (outcome == Outcome::kOk) {
    ++s.ok;
    s.ok_latency.Record(latency);
    return;
  }
  if (s.sample_error.empty()) s.sample_error = Describe(outcome, x);
}

void SetSessionHeaders(HttpConnection::Request& req, const Session& s) {
  if (s.id.empty()) {
    req.erase(kSessionHeader);
  } else {
    req.set(kSessionHeader, s.id);
  }
  req.set(kProtocolHeader, s.version);
}

// initialize, then notifications/initialized, on `conn` with the DSN already
// in `req`. On failure `failure` holds the exchange that failed and its outcome.
asio::awaitable<bool> OpenSession(const Options& o, const Plan& plan, HttpConnection& conn,
                                  HttpConnection::Request& req, Shared& shared, Session& s,
                                  Worker& me, Exchange& failure, Outcome& failed_outcome) {
  req.erase(kSessionHeader);
  req.erase(kProtocolHeader);
  const std::uint64_t id = NextId(plan, shared);
  req.body() = plan.initialize.With(id);
  req.prepare_payload();
  Exchange init = co_await conn.RoundTrip(req, o.timeout);
  Outcome outcome = Classify(init, id);
  if (outcome != Outcome::kOk) {
    ++me.sessions.failed;
    if (me.sessions.sample_error.empty()) me.sessions.sample_error = "initialize " + Describe(outcome, init);
    failure = std::move(init);
    failed_outcome = outcome;
    co_return false;
  }
  Session fresh;
  fresh.id = init.session_id;
  fresh.version = NegotiatedProtocolVersion(init.content_type, init.body);
  if (fresh.version.empty()) fresh.version = o.protocol_version;
  SetSessionHeaders(req, fresh);
  req.body() = InitializedNotification();
  req.prepare_payload();
  Exchange note = co_await conn.RoundTrip(req, o.timeout);
  if (note.ec || note.status / 100 != 2) {
    outcome = note.timed_out ? Outcome::kTimeout : note.ec ? Outcome::kTransport : Outcome::kHttpStatus;
    ++me.sessions.failed;
    if (me.sessions.sample_error.empty()) {
      me.sessions.sample_error = "notifications/initialized " + Describe(outcome, note);
    }
    failure = std::move(note);
    failed_outcome = outcome;
    co_return false;
  }
  ++me.sessions.opened;
  if (!fresh.id.empty()) ++me.sessions.with_id;
  fresh.open = true;
  s = std::move(fresh);
  co_return true;
}

bool ShouldRetry(const Options& o, const Exchange& x, int attempt) {
  if (x.ec || attempt >= o.retries) return false;
  return std::find(o.retry_statuses.begin(), o.retry_statuses.end(), x.status) !=
         o.retry_statuses.end();
}

std::chrono::nanoseconds RetryWait(const Exchange& x) {
  int seconds = 0;
  if (!x.retry_after.empty() && absl::SimpleAtoi(x.retry_after, &seconds) && seconds >= 0) {
    return std::min<std::chrono::nanoseconds>(std::chrono::seconds(seconds), kMaxRetryWait);
  }
  return kDefaultRetryWait;
}

asio::awaitable<void> RunWorker(const Options& o, const Window& w, const Plan& plan,
                                tcp::resolver::results_type endpoints, int index, Shared& shared,
                                Worker& me) {
  auto executor = co_await asio::this_coro::executor;
  HttpConnection conn(executor, std::move(endpoints));
  HttpConnection::Request req = MakeRequestTemplate(o);
  asio::steady_timer timer(executor);
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
  std::unordered_map<std::size_t, Session> sessions;
  const std::size_t dsn_count = plan.dsns.empty() ? 1 : plan.dsns.size();

  for (std::uint64_t k = 0; !shared.stop.load(std::memory_order_relaxed); ++k) {
    Clock::time_point intended = IntendedSendTime(o, w, index, k);
    if (intended >= w.end) break;
    if (intended > Clock::now()) {
      timer.expires_at(intended);
      co_await timer.async_wait(kUseTuple);
    }
    // Open loop and behind schedule at the end: what was not sent is reported
    // as unsent rather than sent late past the window.
    if (Clock::now() >= w.end) break;
    const bool measuring = intended >= w.warmup_end;
    if (measuring && o.requests) {
      if (shared.measured_tickets.fetch_add(1) >= *o.requests) {
        shared.stopped_by_count = true;
        shared.stop = true;
        break;
      }
    }
    const std::size_t dsn = o.spread_per_request
                                ? shared.next_dsn.fetch_add(1, std::memory_order_relaxed) % dsn_count
                                : static_cast<std::size_t>(index) % dsn_count;
    if (!plan.dsns.empty()) req.set(o.dsn_header, plan.dsns[dsn]);

    // Closed loop: the clock starts now; open loop: at the intended time.
    const Clock::time_point sent = std::min(intended, Clock::now());
    Exchange x;
    Outcome outcome = Outcome::kOk;
    bool sent_call = true;
    Session* session = nullptr;
    if (o.session) {
      session = &sessions[dsn];
      if (!session->open) {
        sent_call = co_await OpenSession(o, plan, conn, req, shared, *session, me, x, outcome);
      } else {
        SetSessionHeaders(req, *session);
      }
    }
    for (int attempt = 0; sent_call; ++attempt) {
      const std::uint64_t id = NextId(plan, shared);
      req.body() = plan.call.With(id);
      req.prepare_payload();
      x = co_await conn.RoundTrip(req, o.timeout);
      outcome = Classify(x, id);
      if (!ShouldRetry(o, x, attempt) || Clock::now() >= w.end) break;
      ++(measuring ? me.measured : me.warmup).retried;
      timer.expires_after(RetryWait(x));
      co_await timer.async_wait(kUseTuple);
    }
    const Clock::time_point done = Clock::now();
    // A server that forgot the session answers 404: open a new one next time.
    if (session != nullptr && sent_call && !session->id.empty() && !x.ec && x.status == 404) {
      ++me.sessions.expired;
      *session = Session{};
    }

    if (measuring) {
      Account(me.measured, outcome, x, done - sent);
      me.first_send = std::min(me.first_send, sent);
      me.last_done = std::max(me.last_done, done);
    } else {
      Account(me.warmup, outcome, x, done - sent);
    }
    if (x.ec && !x.timed_out) {
      timer.expires_after(kErrorBackoff);
      co_await timer.async_wait(kUseTuple);
    }
  }
  me.connects = conn.connects();
  conn.Close();
}

}  // namespace

void PhaseStats::Merge(const PhaseStats& other) {
  requests += other.requests;
  ok += other.ok;
  retried += other.retried;
  for (std::size_t i = 0; i < by_outcome.size(); ++i) by_outcome[i] += other.by_outcome[i];
  for (const auto& [status, n] : other.http_status) http_status[status] += n;
  ok_latency.Merge(other.ok_latency);
  if (sample_error.empty()) sample_error = other.sample_error;
}

absl::StatusOr<RunResult> RunLoad(const Options& o) {
  asio::io_context ioc(o.threads);

  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(o.endpoint.host, o.endpoint.port, ec);
  if (ec) {
    return absl::UnavailableError("cannot resolve " + o.endpoint.host + ":" + o.endpoint.port +
                                  ": " + ec.message());
  }

  Plan plan;
  plan.fixed_id = o.fixed_id;
  plan.call = o.arguments.empty() ? MakeToolCallBody(o.tool, o.sql)
                                  : MakeToolCallBodyWithArguments(o.tool, o.arguments);
  plan.initialize = MakeInitializeBody(o.protocol_version);
  if (!o.dsn_template.empty()) {
    plan.dsns.reserve(static_cast<std::size_t>(o.dsns));
    for (int i = 0; i < o.dsns; ++i) plan.dsns.push_back(DsnFor(o, i));
  }
  Window w;
  w.start = Clock::now();
  w.warmup_end = w.start + o.warmup;
  w.end = w.warmup_end + o.duration;
  const Clock::time_point hard_deadline = w.end + o.timeout + kHardDeadlineGrace;

  Shared shared;
  std::vector<Worker> workers(static_cast<std::size_t>(o.concurrency));
  // What the workers' completion handlers (on the io threads) tell this
  // thread.
  struct Completion {
    Mutex mu;
    CondVar cv;  // running reached 0
    int running ABSL_GUARDED_BY(mu) = 0;
    std::string crash ABSL_GUARDED_BY(mu);
  } done;
  {
    MutexLock lock(done.mu);
    done.running = o.concurrency;
  }

  for (int i = 0; i < o.concurrency; ++i) {
    asio::co_spawn(asio::make_strand(ioc),
                   RunWorker(o, w, plan, endpoints, i, shared, workers[static_cast<std::size_t>(i)]),
                   [&](std::exception_ptr e) {
                     MutexLock lock(done.mu);
                     if (e && done.crash.empty()) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         done.crash = ex.what();
                       } catch (...) {
                         done.crash = "unknown exception";
                       }
                     }
                     if (--done.running == 0) done.cv.NotifyAll();
                   });
  }

  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) threads.emplace_back([&ioc] { ioc.run(); });
  RunResult result;
  {
    MutexLock lock(done.mu);
    if (!done.cv.WaitUntil(done.mu, hard_deadline,
                           [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(done.mu) {
                             return done.running == 0;
                           })) {
      result.aborted = true;
      ioc.stop();
    }
  }
  for (auto& t : threads) t.join();
  std::string crash;
  {
    MutexLock lock(done.mu);
    crash = done.crash;
  }
  if (!crash.empty()) return absl::InternalError("worker failed: " + crash);

  Clock::time_point first = Clock::time_point::max();
  Clock::time_point last = Clock::time_point::min();
  for (const Worker& wk : workers) {
    result.warmup.Merge(wk.warmup);
    result.measured.Merge(wk.measured);
    result.connections_opened += wk.connects;
    result.sessions.opened += wk.sessions.opened;
    result.sessions.with_id += wk.sessions.with_id;
    result.sessions.failed += wk.sessions.failed;
    result.sessions.expired += wk.sessions.expired;
    if (result.sessions.sample_error.empty()) result.sessions.sample_error = wk.sessions.sample_error;
    first = std::min(first, wk.first_send);
    last = std::max(last, wk.last_done);
  }
  if (result.measured.requests > 0 && last > first) result.measured_time = last - first;
  result.stopped_by_request_count = shared.stopped_by_count;
  return result;
}

}  // namespace mcpgw::loadtest
