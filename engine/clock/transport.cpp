#include "clock/transport.h"

namespace lockstep {

TransportState Transport::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Transport::promote(int64_t t_ns) const {
  if (scheduled_ && t_ns >= scheduled_->anchor_ns) {
    state_ = *scheduled_;
    scheduled_.reset();
  }
}

TransportState Transport::state_at(int64_t t_ns) const {
  std::lock_guard lock(mutex_);
  promote(t_ns);
  // A state scheduled for later does not apply yet, but its serial is already known.
  return state_;
}

std::optional<int64_t> Transport::scheduled_anchor() const {
  std::lock_guard lock(mutex_);
  if (!scheduled_) return std::nullopt;
  return scheduled_->anchor_ns;
}

void Transport::schedule(const TransportState& next) {
  std::lock_guard lock(mutex_);
  scheduled_ = next;
}

void Transport::play(int64_t at_ns) {
  std::lock_guard lock(mutex_);
  if (!state_.paused) return;
  state_.anchor_ns = at_ns;
  state_.paused = false;
}

void Transport::pause(int64_t at_ns) {
  std::lock_guard lock(mutex_);
  if (state_.paused) return;
  state_.position_ns = state_.position_at(at_ns);
  state_.anchor_ns = at_ns;
  state_.paused = true;
}

int Transport::seek(int64_t p_ns, int64_t at_ns) {
  std::lock_guard lock(mutex_);
  state_.position_ns = p_ns;
  state_.anchor_ns = at_ns;
  return ++state_.serial;
}

void Transport::set_rate(double rate, int64_t at_ns) {
  std::lock_guard lock(mutex_);
  state_.position_ns = state_.position_at(at_ns);
  state_.anchor_ns = at_ns;
  state_.rate = rate;
}

void Transport::set_loop(bool loop) {
  std::lock_guard lock(mutex_);
  state_.loop = loop;
}

void Transport::slew(int64_t delta_ns) {
  std::lock_guard lock(mutex_);
  state_.position_ns += delta_ns;
}

}  // namespace lockstep
