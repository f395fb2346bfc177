#include "gateway/http/read_deadline.h"

#include <cstdint>

#include <boost/asio/steady_timer.hpp>

namespace mcpgw::gateway {

struct ReadDeadline::State {
  explicit State(beast::tcp_stream& s) : timer(s.get_executor()), stream(&s) {}

  asio::steady_timer timer;
  beast::tcp_stream* stream;  // null once the ReadDeadline is gone
  std::chrono::steady_clock::time_point deadline;
  bool reading = false;  // a read runs, bound by `deadline`
  bool armed = false;    // the timer has a wait pending
  bool expired = false;
  // Which Arm the pending wait is: a wait replaced by a later one (its
  // handler then runs cancelled) changes nothing.
  std::uint64_t generation = 0;
};

ReadDeadline::ReadDeadline(beast::tcp_stream& stream)
    : state_(std::make_shared<State>(stream)) {}

ReadDeadline::~ReadDeadline() {
  state_->stream = nullptr;
  state_->timer.cancel();
}

void ReadDeadline::Start(std::chrono::steady_clock::duration timeout) {
  state_->deadline = std::chrono::steady_clock::now() + timeout;
  state_->reading = true;
  // Armed for an earlier deadline (the usual case: the previous read's),
  // it wakes then and waits again for this one.
  if (!state_->armed || state_->deadline < state_->timer.expiry()) {
    Arm(state_);
  }
}

void ReadDeadline::Stop() { state_->reading = false; }

bool ReadDeadline::expired() const { return state_->expired; }

void ReadDeadline::Arm(const std::shared_ptr<State>& state) {
  const std::uint64_t generation = ++state->generation;
  state->armed = true;
  state->timer.expires_at(state->deadline);  // cancels a wait pending
  state->timer.async_wait([state, generation](const beast::error_code& ec) {
    if (generation != state->generation) return;
    state->armed = false;
    // `reading` first: a ReadDeadline may be destroyed on another thread
    // while no read runs (read_deadline.h), and then nothing else is read.
    if (ec || !state->reading || state->stream == nullptr) return;
    if (std::chrono::steady_clock::now() < state->deadline) {
      Arm(state);  // the read started after the one the timer was armed for
      return;
    }
    // As Beast's own timeout does: the read then ends with an error.
    state->expired = true;
    beast::error_code ignored;
    state->stream->socket().close(ignored);
  });
}

}  // namespace mcpgw::gateway
