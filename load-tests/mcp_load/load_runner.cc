#include "mcp_load/load_runner.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
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
  std::atomic<bool> stop{false};
  std::atomic<bool> stopped_by_count{false};
};

struct Worker {
  PhaseStats warmup;
  PhaseStats measured;
  Clock::time_point first_send = Clock::time_point::max();
  Clock::time_point last_done = Clock::time_point::min();
  std::uint64_t connects = 0;
};

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

// The request every connection reuses; only the body changes per request.
// (When runs spread over many DSNs, this is where a worker picks its headers.)
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

void Account(PhaseStats& s, Outcome outcome, const Exchange& x, std::chrono::nanoseconds latency) {
  ++s.requests;
  ++s.by_outcome[static_cast<std::size_t>(outcome)];
  if (!x.ec) ++s.http_status[x.status];
  if (outcome == Outcome::kOk) {
    ++s.ok;
    s.ok_latency.Record(latency);
    return;
  }
  if (!s.sample_error.empty()) return;
  if (x.ec) {
    s.sample_error = std::string(OutcomeName(outcome)) + ": " + x.ec.message();
  } else {
    s.sample_error = std::string(OutcomeName(outcome)) + ": HTTP " + std::to_string(x.status) +
                     " " + x.body.substr(0, kSampleErrorBodyChars);
  }
}

asio::awaitable<void> RunWorker(const Options& o, const Window& w, const RequestBody& body,
                                tcp::resolver::results_type endpoints, int index, Shared& shared,
                                Worker& me) {
  auto executor = co_await asio::this_coro::executor;
  HttpConnection conn(executor, std::move(endpoints));
  HttpConnection::Request req = MakeRequestTemplate(o);
  asio::steady_timer timer(executor);
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

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
    const std::uint64_t id = shared.next_id.fetch_add(1, std::memory_order_relaxed);
    req.body() = body.With(id);
    req.prepare_payload();

    // Closed loop: the clock starts now; open loop: at the intended time.
    const Clock::time_point sent = std::min(intended, Clock::now());
    Exchange x = co_await conn.RoundTrip(req, o.timeout);
    const Clock::time_point done = Clock::now();

    Outcome outcome = x.timed_out        ? Outcome::kTimeout
                      : x.protocol_error ? Outcome::kHttpProtocol
                      : x.ec             ? Outcome::kTransport
                                         : ClassifyResponse(x.status, x.content_type, x.body, id);
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

  const RequestBody body = MakeToolCallBody(o.tool, o.sql);
  Window w;
  w.start = Clock::now();
  w.warmup_end = w.start + o.warmup;
  w.end = w.warmup_end + o.duration;
  const Clock::time_point hard_deadline = w.end + o.timeout + kHardDeadlineGrace;

  Shared shared;
  std::vector<Worker> workers(static_cast<std::size_t>(o.concurrency));
  std::mutex mu;
  std::condition_variable cv;
  int running = o.concurrency;
  std::string crash;

  for (int i = 0; i < o.concurrency; ++i) {
    asio::co_spawn(asio::make_strand(ioc),
                   RunWorker(o, w, body, endpoints, i, shared, workers[static_cast<std::size_t>(i)]),
                   [&](std::exception_ptr e) {
                     std::lock_guard lock(mu);
                     if (e && crash.empty()) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         crash = ex.what();
                       } catch (...) {
                         crash = "unknown exception";
                       }
                     }
                     if (--running == 0) cv.notify_all();
                   });
  }

  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) threads.emplace_back([&ioc] { ioc.run(); });
  RunResult result;
  {
    std::unique_lock lock(mu);
    if (!cv.wait_until(lock, hard_deadline, [&] { return running == 0; })) {
      result.aborted = true;
      ioc.stop();
    }
  }
  for (auto& t : threads) t.join();
  if (!crash.empty()) return absl::InternalError("worker failed: " + crash);

  Clock::time_point first = Clock::time_point::max();
  Clock::time_point last = Clock::time_point::min();
  for (const Worker& wk : workers) {
    result.warmup.Merge(wk.warmup);
    result.measured.Merge(wk.measured);
    result.connections_opened += wk.connects;
    first = std::min(first, wk.first_send);
    last = std::max(last, wk.last_done);
  }
  if (result.measured.requests > 0 && last > first) result.measured_time = last - first;
  result.stopped_by_request_count = shared.stopped_by_count;
  return result;
}

}  // namespace mcpgw::loadtest
