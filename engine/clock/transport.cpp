#include "clock/transport.h"

namespace lockstep {

TransportState Transport::state() const {
  std::lock_guard lock(mutex_);
  return state_;
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
