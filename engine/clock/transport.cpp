#include "clock/transport.h"

#include "clock/transport_command.h"

namespace lockstep {

LoopSpan TransportState::loop_span(int64_t duration_ns) const {
  if (loop_in_ns >= 0 && loop_in_ns < loop_out_ns && loop_out_ns <= duration_ns)
    return {loop_in_ns, loop_out_ns};
  return {0, duration_ns};
}

int64_t TransportState::file_position(int64_t p_ns, int64_t duration_ns) const {
  if (duration_ns <= 0) return std::max<int64_t>(p_ns, 0);
  p_ns = std::max<int64_t>(p_ns, 0);
  if (!loop) return std::min(p_ns, duration_ns - 1);
  const LoopSpan span = loop_span(duration_ns);
  return wrap_into_range(p_ns, span.in_ns, span.out_ns);
}

bool change_loop(TransportState& s, bool loop, LoopSpan range, int64_t at_ns, int64_t duration_ns) {
  if (loop == s.loop && range.in_ns == s.loop_in_ns && range.out_ns == s.loop_out_ns) return false;
  const LoopSpan before = s.loop_span(duration_ns);
  const bool loop_before = s.loop;
  const int64_t unwrapped = std::max<int64_t>(s.position_at(at_ns), 0);
  int64_t pos = s.file_position(unwrapped, duration_ns);
  // Unwrapped counting already went round a loop: the decoder numbers its frames from the
  // last jump, so a state re-anchored on `pos` needs it to start again from there.
  bool restart = pos != unwrapped;
  s.loop = loop;
  s.loop_in_ns = range.in_ns;
  s.loop_out_ns = range.out_ns;
  const LoopSpan after = s.loop_span(duration_ns);
  const auto partial = [&](const LoopSpan& span) { return span != LoopSpan{0, duration_ns}; };
  // The decoder wraps by itself at a partial range's out: a different wrap, before or after,
  // may already be decoded ahead.
  const bool wrap_changed = (loop_before ? std::optional(before) : std::nullopt) !=
                            (loop ? std::optional(after) : std::nullopt);
  if (wrap_changed && ((loop_before && partial(before)) || (loop && partial(after))))
    restart = true;
  if (loop && pos >= after.out_ns) {
    pos = after.in_ns;
    restart = true;
  }
  if (!loop) pos = std::min(pos, std::max<int64_t>(duration_ns - 1, 0));
  s.position_ns = pos;
  s.anchor_ns = at_ns;
  if (restart) ++s.serial;
  return restart;
}

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

bool Transport::set_loop(bool loop, int64_t at_ns, int64_t duration_ns) {
  std::lock_guard lock(mutex_);
  return change_loop(state_, loop, {state_.loop_in_ns, state_.loop_out_ns}, at_ns, duration_ns);
}

bool Transport::set_loop_range(LoopSpan range, int64_t at_ns, int64_t duration_ns) {
  std::lock_guard lock(mutex_);
  return change_loop(state_, state_.loop, range, at_ns, duration_ns);
}

CommandOutcome Transport::apply(const TransportCommand& c, int64_t at_ns, const FrameGrid& grid) {
  std::lock_guard lock(mutex_);
  return apply_transport_command(state_, c, at_ns, grid);
}

void Transport::slew(int64_t delta_ns) {
  std::lock_guard lock(mutex_);
  state_.position_ns += delta_ns;
}

}  // namespace lockstep
