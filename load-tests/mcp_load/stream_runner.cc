#include "mcp_load/stream_runner.h"

#include <cmath>
#include <fstream>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace mcpgw::loadtest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxStreamBodyBytes = 16 * 1024 * 1024;

// Shared by the streams and the controller; everything runs on one thread.
struct Run {
  const Options* options = nullptr;
  Clock::time_point start;
  std::uint64_t pending = 0;  // neither open nor failed yet
  bool holding = false;
  bool closing = false;
  asio::steady_timer* phase_timer = nullptr;  // woken when `pending` reaches 0
  std::vector<std::shared_ptr<beast::tcp_stream>> sockets;
  StreamResult result;
};

// Blank-line-terminated SSE events in `body` (LF or CRLF).
std::uint64_t CountEvents(std::string_view body) {
  std::uint64_t n = 0;
  for (std::size_t pos = 0;;) {
    auto lf = body.find("\n\n", pos);
    auto crlf = body.find("\r\n\r\n", pos);
    auto at = std::min(lf, crlf);
    if (at == std::string_view::npos) return n;
    ++n;
    pos = at + (at == crlf ? 4 : 2);
  }
}

void Settle(Run& run) {
  if (--run.pending == 0 && run.phase_timer != nullptr) run.phase_timer->cancel();
}

void Fail(Run& run, Outcome outcome, const std::string& what) {
  ++run.result.failed_by_outcome[static_cast<std::size_t>(outcome)];
  if (run.result.sample_error.empty()) run.result.sample_error = std::string(OutcomeName(outcome)) + ": " + what;
  Settle(run);
}

asio::awaitable<void> OneStream(Run& run, tcp::resolver::results_type endpoints,
                                std::string body, std::size_t index) {
  const Options& o = *run.options;
  auto stream = run.sockets[index];
  stream->expires_at(run.start + o.timeout);
  const Clock::time_point sent = Clock::now();
  if (auto [ec, ep] = co_await stream->async_connect(endpoints, kUseTuple); ec) {
    Fail(run, ec == beast::error::timeout ? Outcome::kTimeout : Outcome::kTransport, ec.message());
    co_return;
  }
  beast::error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  http::request<http::string_body> req{http::verb::post, o.endpoint.target, 11};
  req.set(http::field::host, o.endpoint.host_header);
  req.set(http::field::user_agent, "mcp-load");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  for (const Header& h : o.headers) req.set(h.name, h.value);
  if (!o.dsn_template.empty()) req.set(o.dsn_header, DsnFor(o, static_cast<int>(index % static_cast<std::size_t>(o.dsns))));
  req.body() = std::move(body);
  req.prepare_payload();
  if (auto [ec, n] = co_await http::async_write(*stream, req, kUseTuple); ec) {
    Fail(run, ec == beast::error::timeout ? Outcome::kTimeout : Outcome::kTransport, ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxStreamBodyBytes);
  if (auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, kUseTuple); ec) {
    Fail(run, ec == beast::error::timeout ? Outcome::kTimeout : Outcome::kHttpProtocol, ec.message());
    co_return;
  }
  if (parser.get().result_int() / 100 != 2) {
    Fail(run, Outcome::kHttpStatus, "HTTP " + std::to_string(parser.get().result_int()));
    co_return;
  }
  bool open = false;
  std::uint64_t events = 0;
  for (;;) {
    if (open && run.holding) stream->expires_never();
    auto [ec, n] = co_await http::async_read_some(*stream, buffer, parser, kUseTuple);
    if (!ec || ec == http::error::need_buffer) {
      events = CountEvents(parser.get().body());
      if (!open && events > 0) {
        open = true;
        ++run.result.opened;
        run.result.time_to_first_event.Record(Clock::now() - sent);
        stream->expires_never();
        Settle(run);
      }
    }
    if (parser.is_done() || (ec && ec != http::error::need_buffer)) {
      const bool complete = parser.is_done();
      run.result.events += events;
      if (!open) {
        Fail(run, complete ? Outcome::kBadResponse
                  : ec == beast::error::timeout ? Outcome::kTimeout
                                                : Outcome::kTransport,
             complete ? "answer ended before its first event" : ec.message());
      } else if (!run.closing) {
        ++run.result.closed_early;
        if (complete) ++run.result.completed;
      }
      co_return;
    }
  }
}

asio::awaitable<void> Controller(Run& run) {
  const Options& o = *run.options;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  run.phase_timer = &timer;
  timer.expires_at(run.start + o.timeout);
  if (run.pending > 0) co_await timer.async_wait(kUseTuple);  // woken early by Settle
  run.phase_timer = nullptr;
  const bool all_open = run.result.opened == run.result.streams;
  if (all_open) {
    run.result.all_open_after = Clock::now() - run.start;
    if (!o.ready_file.empty()) std::ofstream(o.ready_file) << "open\n";
  }
  run.holding = true;
  const Clock::time_point hold_start = Clock::now();
  if (run.result.opened > 0) {
    timer.expires_after(o.duration);
    co_await timer.async_wait(kUseTuple);
  }
  run.result.held = Clock::now() - hold_start;
  run.closing = true;
  for (auto& s : run.sockets) {
    beast::error_code ignored;
    s->socket().shutdown(tcp::socket::shutdown_both, ignored);
    s->close();
  }
}

double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double Seconds(std::chrono::nanoseconds d) { return Round3(std::chrono::duration<double>(d).count()); }

}  // namespace

absl::StatusOr<StreamResult> RunStreams(const Options& o) {
  asio::io_context ioc(1);
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(o.endpoint.host, o.endpoint.port, ec);
  if (ec) {
    return absl::UnavailableError("cannot resolve " + o.endpoint.host + ":" + o.endpoint.port +
                                  ": " + ec.message());
  }
  const RequestBody body = o.arguments.empty() ? MakeToolCallBody(o.tool, o.sql)
                                               : MakeToolCallBodyWithArguments(o.tool, o.arguments);
  Run run;
  run.options = &o;
  run.start = Clock::now();
  run.result.streams = static_cast<std::uint64_t>(o.concurrency);
  run.pending = run.result.streams;
  for (int i = 0; i < o.concurrency; ++i) {
    run.sockets.push_back(std::make_shared<beast::tcp_stream>(ioc));
  }
  for (int i = 0; i < o.concurrency; ++i) {
    asio::co_spawn(ioc, OneStream(run, endpoints, body.With(static_cast<std::uint64_t>(i) + 1),
                                  static_cast<std::size_t>(i)),
                   asio::detached);
  }
  asio::co_spawn(ioc, Controller(run), asio::detached);
  // Bounded: the open phase by --timeout, the hold by --duration, the rest by
  // closing every socket; the grace covers the last callbacks.
  ioc.run_for(o.timeout + o.duration + std::chrono::seconds(10));
  return std::move(run.result);
}

nlohmann::ordered_json MakeStreamReport(const Options& o, const StreamResult& r) {
  auto ttfe = r.time_to_first_event.Summarize();
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  std::uint64_t failed = 0;
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    if (r.failed_by_outcome[i] == 0) continue;
    failed += r.failed_by_outcome[i];
    errors[std::string(OutcomeName(static_cast<Outcome>(i)))] = r.failed_by_outcome[i];
  }
  nlohmann::ordered_json report = {
      {"tool", "mcp-load"},
      {"label", o.label},
      {"url", o.url},
      {"mode", "streams"},
      {"mcp_tool", o.tool},
      {"streams", r.streams},
      {"opened", r.opened},
      {"failed", failed},
      {"errors_by_kind", errors},
      {"ttfe_ms",
       {{"p50", Round3(ttfe.p50_ms)},
        {"p90", Round3(ttfe.p90_ms)},
        {"p99", Round3(ttfe.p99_ms)},
        {"max", Round3(ttfe.max_ms)},
        {"min", Round3(ttfe.min_ms)},
        {"mean", Round3(ttfe.mean_ms)}}},
      {"all_open_s", Seconds(r.all_open_after)},
      {"held_s", Seconds(r.held)},
      {"closed_early", r.closed_early},
      {"completed", r.completed},
      {"events", r.events},
  };
  if (!r.sample_error.empty()) report["sample_error"] = r.sample_error;
  return report;
}

}  // namespace mcpgw::loadtest
