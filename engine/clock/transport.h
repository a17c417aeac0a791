// The transport: which media position is shown at which clock time. While playing, the
// media position at clock time t is position + rate * (t - anchor); paused, it is position.
// Commands take an effective clock time, so that (with a session clock) every node applies
// them at the same instant; a local node passes "now".
//
// Positions are "unwrapped" ns: a looping file keeps counting past its end, so time only
// moves forward; the frame index within the file is unwrapped % frame_count.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

namespace lockstep {

struct TransportState {
  int64_t anchor_ns = 0;    // clock time at which `position_ns` holds
  int64_t position_ns = 0;  // media position (unwrapped) at anchor_ns
  double rate = 1.0;
  bool paused = true;
  bool loop = false;
  int serial = 0;           // bumped by every jump (seek, step, load): decoders restart

  /// Media position at clock time `t_ns`.
  int64_t position_at(int64_t t_ns) const {
    if (paused) return position_ns;
    return position_ns + int64_t(double(t_ns - anchor_ns) * rate);
  }
  /// Clock time at which media position `p_ns` is reached (playing, rate > 0).
  int64_t time_of(int64_t p_ns) const {
    return anchor_ns + int64_t(double(p_ns - position_ns) / rate);
  }
};

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
  void set_loop(bool loop);
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
