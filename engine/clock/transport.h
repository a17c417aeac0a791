// The transport: which media position is shown at which clock time. While playing, the
// media position at clock time t is position + rate * (t - anchor); paused, it is position.
// Commands take an effective clock time, so that (with a session clock) every node applies
// them at the same instant; a local node passes "now".
//
// Positions are "unwrapped" ns: a looping file keeps counting past the end of its loop range,
// so time only moves forward; file_position() maps an unwrapped position into the file (with
// the whole file as the range: unwrapped % duration). Every node maps the same state and time
// to the same frame: the mapping is a pure function of the state.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <optional>

namespace lockstep {

/// The position within a loop [in, out) for unwrapped position `k` (ns or frames, any unit):
/// below `out` it is `k` itself; at `out` it continues at `in`, and so on, every out - in.
/// Requires in < out.
inline int64_t wrap_into_range(int64_t k, int64_t in, int64_t out) {
  if (k < out) return k;
  return in + (k - out) % (out - in);
}

/// `v` (ns) as an int64, saturated: a state that passed the session's range checks never
/// comes near the limits, but no value may make the conversion undefined.
inline int64_t saturate_ns(double v) {
  constexpr double kLimit = 9.0e18;  // below INT64_MAX, exactly representable as a double
  if (!(v == v)) return 0;            // NaN
  return int64_t(std::clamp(v, -kLimit, kLimit));
}

/// a + b, saturated at the int64 limits.
inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

/// t - from as a double, with no overflow for any inputs.
inline double difference_ns(int64_t t, int64_t from) {
  int64_t d = 0;
  return __builtin_sub_overflow(t, from, &d) ? double(t) - double(from) : double(d);
}

/// A loop range in media time, ns: [in_ns, out_ns).
struct LoopSpan {
  int64_t in_ns = 0;
  int64_t out_ns = 0;
  bool operator==(const LoopSpan&) const = default;
};

struct TransportState {
  int64_t anchor_ns = 0;    // clock time at which `position_ns` holds
  int64_t position_ns = 0;  // media position (unwrapped) at anchor_ns
  double rate = 1.0;
  bool paused = true;
  bool loop = false;
  int serial = 0;  // bumped by every jump (seek, step, load): decoders restart
  // Loop range, media time ns: [loop_in_ns, loop_out_ns); 0/0 (or anything outside the file)
  // means the whole file. It only matters while `loop` is on.
  int64_t loop_in_ns = 0;
  int64_t loop_out_ns = 0;

  /// Media position at clock time `t_ns`.
  int64_t position_at(int64_t t_ns) const {
    if (paused) return position_ns;
    return saturating_add(position_ns, saturate_ns(difference_ns(t_ns, anchor_ns) * rate));
  }
  /// Clock time at which media position `p_ns` is reached (playing, rate > 0).
  int64_t time_of(int64_t p_ns) const {
    return saturating_add(anchor_ns, saturate_ns(difference_ns(p_ns, position_ns) / rate));
  }
  /// The loop range in force for a file of `duration_ns`: the set range when it is a valid
  /// part of the file, else the whole file.
  LoopSpan loop_span(int64_t duration_ns) const;
  /// The position within the file (ns, 0 <= p < duration) for unwrapped position `p_ns`:
  /// while looping, a position at or past the range's out continues at its in; otherwise
  /// clamped to the file.
  int64_t file_position(int64_t p_ns, int64_t duration_ns) const;
};

/// Turns looping on or off and sets the loop range (0/0 = whole file), effective at clock time
/// `at_ns`, for a file of `duration_ns`. The state is re-anchored at `at_ns` on the position in
/// the file shown then (unwrapped positions start counting from it again); when that position
/// is at or past the new range's out, it jumps to the range's in. Returns true when it bumped
/// the serial: decoding must restart, because the decoder may already have read (and wrapped)
/// ahead under the old range. A pure function of its inputs, so every node agrees.
bool change_loop(TransportState& s, bool loop, LoopSpan range, int64_t at_ns, int64_t duration_ns);

struct TransportCommand;
struct CommandOutcome;
struct FrameGrid;

/// A TransportState shared between the command sources (keys, overlay, network) and the
/// render and audio threads. A state received from a session server can be scheduled to
/// take effect at its anchor time; until then the previous one applies.
/// Thread-safety: every method is thread-safe.
class Transport {
 public:
  /// The state in force now (without a clock: the latest applied).
  TransportState state() const;
  /// The state in force at clock time `t_ns` (a scheduled one once its time has come).
  TransportState state_at(int64_t t_ns) const;
  /// Schedules `next` to replace the current state at next.anchor_ns (a session command's
  /// effective time). A later schedule replaces an earlier one that has not taken effect.
  void schedule(const TransportState& next);
  /// When the scheduled state takes effect (clock time), if one is waiting.
  std::optional<int64_t> scheduled_anchor() const;

  void play(int64_t at_ns);
  void pause(int64_t at_ns);
  /// Jumps to media position `p_ns` at clock time `at_ns`; returns the new serial.
  int seek(int64_t p_ns, int64_t at_ns);
  void set_rate(double rate, int64_t at_ns);
  /// Turns looping on or off at clock time `at_ns` (see change_loop()); true when it bumped
  /// the serial. `duration_ns` is the file's.
  bool set_loop(bool loop, int64_t at_ns, int64_t duration_ns);
  /// Sets the loop range (0/0 = whole file) at clock time `at_ns` (see change_loop()).
  bool set_loop_range(LoopSpan range, int64_t at_ns, int64_t duration_ns);
  /// Applies a transport command at clock time `at_ns` (clock/transport_command.h).
  CommandOutcome apply(const TransportCommand& c, int64_t at_ns, const FrameGrid& grid);
  /// Shifts the playing position by `delta_ns` without a jump (audio-master slewing).
  void slew(int64_t delta_ns);

 private:
  void promote(int64_t t_ns) const;

  mutable std::mutex mutex_;
  // Protected by mutex_ (mutable: reading at a time may promote the scheduled state):
  mutable TransportState state_;
  mutable std::optional<TransportState> scheduled_;
};

}  // namespace lockstep
