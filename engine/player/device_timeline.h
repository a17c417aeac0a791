// Private to player/: where the audio device is against the monotonic clock, as a model
// that the host API's delay reports only calibrate instead of steer.
//
// Each callback tells which device frame it starts at (AudioClock::device_frames: every
// frame the device took, silence of underruns included), when it ran (callback_ns) and when
// that frame will be heard (dac_ns: callback time plus the host API's delay report). The
// heard time of device frame n is  phase + n / rate,  where the phase is constant but for
// the device clock's drift (quartz: tens of ppm) and for real changes of the output path
// (another device, a new buffer size: milliseconds and more).
//
// The delay reports are not that steady: PulseAudio's (through its ALSA plugin) interpolate
// its timing replies, and on a busy machine they wander by 1–3 ms over seconds and settle
// off by as much; a feeder steering by them moved one node's audio 3 ms/s away from its
// partner (tests/session/session_audio_test.cpp). So:
//  - the phase is the median of the reported phases over the first second (learning);
//  - the drift is measured from the callbacks' timing, not from the reports: per second,
//    the earliest callback against its device frame (callbacks come late, never early),
//    and a line through those minima over up to a minute (at least 8 s before it counts);
//  - an output underflow that the host API reports (AudioClock::gaps: an xrun, after which
//    the device resumes later than its frame count says) starts the learning again;
//  - only a report away from the model by more than path_change_ns for path_change_hold_ns is
//    believed: the path changed, and the phase is learnt again.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "audio/audio_output.h"

namespace lockstep {

struct DeviceTimelineParams {
  int64_t learn_ns = 1'000'000'000;         // reports averaged after a (re)start
  // Reports wander by up to 15 ms on a machine whose cores are busy: only more, for longer,
  // is a new path (a device switched under the stream, a new buffer size).
  int64_t path_change_ns = 25'000'000;          // a report this far off for...
  int64_t path_change_hold_ns = 2'000'000'000;  // ...this long is a new path
  int64_t drift_min_span_ns = 8'000'000'000;    // callback timing needed for a drift
  int64_t drift_max_span_ns = 60'000'000'000;   // ...and the most that is kept
  double max_drift = 500e-6;
};

class DeviceTimeline {
 public:
  explicit DeviceTimeline(int sample_rate, DeviceTimelineParams p = {});
  /// Feeds one reading of the output's clock (any rate; repeated readings are fine).
  void add(const AudioClock& clk, int64_t now_ns);
  /// Forgets everything (a new stream).
  void reset();
  /// At least one reading was added.
  bool ready() const { return have_phase_; }
  /// Monotonic time at which device frame `device_frame` is heard (needs ready()).
  int64_t heard_ns(int64_t device_frame) const;
  /// The measured drift of the device against the monotonic clock (0 until measured).
  double drift() const { return drift_; }
  /// Phase re-learnings after a path change or a gap, since construction.
  int64_t path_changes() const { return path_changes_; }
  /// Latest report minus the model, ns (diagnostics).
  int64_t last_report_error_ns() const { return last_error_ns_; }

 private:
  int64_t frames_ns(int64_t frames) const;
  int64_t model_phase(int64_t at_ns) const;
  void update_drift(int64_t now_ns);
  void relearn();

  int rate_;
  DeviceTimelineParams p_;
  // Phase model: phase0_ + drift_ * (t - t0_).
  bool have_phase_ = false;
  int64_t phase0_ = 0;
  int64_t t0_ = 0;
  double drift_ = 0.0;
  // Learning: reports since learn_from_.
  bool learning_ = true;
  int64_t learn_from_ = 0;
  std::vector<int64_t> learnt_;
  // Path change watch.
  int64_t off_since_ = 0;
  int64_t path_changes_ = 0;
  int64_t last_error_ns_ = 0;
  // Callback timing: per-second minima of callback_ns - device frame time.
  struct Bin {
    int64_t t = 0;         // start of the bin (callback time)
    int64_t min_phase = 0;
  };
  std::deque<Bin> bins_;
  int64_t last_device_frames_ = -1;
  int64_t last_gaps_ = -1;
  int64_t next_drift_update_ = 0;
  bool drift_measured_ = false;  // a drift was measured since reset()
  int64_t learnt_at_ = 0;        // when the learning last took a report
};

}  // namespace lockstep
