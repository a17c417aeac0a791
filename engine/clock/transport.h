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
/// render and audio threads. Thread-safety: every method is thread-safe.
class Transport {
 public:
  TransportState state() const;

  void play(int64_t at_ns);
  void pause(int64_t at_ns);
  /// Jumps to media position `p_ns` at clock time `at_ns`; returns the new serial.
  int seek(int64_t p_ns, int64_t at_ns);
  void set_rate(double rate, int64_t at_ns);
  void set_loop(bool loop);
  /// Shifts the playing position by `delta_ns` without a jump (audio-master slewing).
  void slew(int64_t delta_ns);

 private:
  mutable std::mutex mutex_;
  TransportState state_;  // protected by mutex_
};

}  // namespace lockstep
